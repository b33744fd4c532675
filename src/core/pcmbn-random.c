/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pcmbn-random"

#include "config.h"

#include <errno.h>

#ifdef G_OS_WIN32
#include <windows.h>
#include <bcrypt.h>
#else
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif
#endif

#include "pcmbn-random.h"

/* Secrets (device and staff tokens, enrolment codes) come from the
 * operating system's cryptographic source, never from GRand: GRand is
 * seeded from the clock and can be guessed. */

#ifndef G_OS_WIN32
static gboolean
read_urandom (guint8 *out, gsize n_bytes)
{
  gsize got = 0;
  int fd;

  do
    fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return FALSE;
  while (got < n_bytes)
    {
      ssize_t n = read (fd, out + got, n_bytes - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          return FALSE;
        }
      got += n;
    }
  close (fd);
  return TRUE;
}
#endif

/**
 * pcmbn_random_bytes:
 * @buffer: (out caller-allocates) (array length=n_bytes): where to write
 * @n_bytes: how many bytes
 *
 * Fills @buffer from the system's cryptographically secure random source:
 * getrandom() (or /dev/urandom) on Unix, BCryptGenRandom() on Windows.
 *
 * Returns: %TRUE when all @n_bytes were written
 */
gboolean
pcmbn_random_bytes (void *buffer, gsize n_bytes)
{
  guint8 *out = buffer;

#ifdef G_OS_WIN32
  while (n_bytes > 0)
    {
      ULONG chunk = (ULONG)MIN (n_bytes, (gsize)G_MAXUINT32);
      if (!BCRYPT_SUCCESS (BCryptGenRandom (NULL, out, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
        return FALSE;
      out += chunk;
      n_bytes -= chunk;
    }
  return TRUE;
#else
#if defined(__linux__)
  gsize got = 0;

  while (got < n_bytes)
    {
      ssize_t n = getrandom (out + got, n_bytes - got, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break; /* ENOSYS on an old kernel: the device then */
      got += n;
    }
  if (got == n_bytes)
    return TRUE;
  return read_urandom (out + got, n_bytes - got);
#else
  return read_urandom (out, n_bytes);
#endif
#endif
}
