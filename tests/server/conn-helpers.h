/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A real `pcmbn-district serve` on loopback under a chosen descriptor
 * limit, and raw sockets to talk to it. */
typedef struct
{
  GSubprocess *proc;
  char *dir;
  char *db;
  char *log;
  guint16 port;
} ConnServer;

ConnServer *conn_server_new (void);
void conn_server_start (ConnServer *s, guint nofile, const char *const *extra_args);
void conn_server_free (ConnServer *s);
int conn_district (const char *const *argv, char **out, char **err);

/* Descriptors of the server process: all, and the sockets among them. */
guint conn_count_fds (ConnServer *s, guint *sockets);
/* Waits up to @seconds for the server's sockets to be @sockets again. */
gboolean conn_wait_sockets (ConnServer *s, guint sockets, guint seconds);

int conn_connect (ConnServer *s);
void conn_send (int fd, const char *text);
/* Reads until the peer closes (or @seconds pass); returns what came. */
char *conn_read_all (int fd, guint seconds);
guint conn_status (const char *response);
/* One whole request on a fresh connection; returns the status. */
guint conn_request (ConnServer *s, const char *request, char **response);

/* What the benchmarks that drive many devices against the server share. */

/* A whole number from the environment, @fallback when unset or empty. */
guint conn_env_uint (const char *name, guint fallback);
/* Lifts this process's descriptor limit to its hard limit: the simulated
 * devices need more than the server they measure. */
void conn_raise_nofile (void);
/* A fresh enrolment code for each of @n_devices devices, device i for
 * @communes[i % @n_communes], in one go through the server's data layer
 * (thousands of runs of `enroll-code` would measure process start-up).
 * Returns (transfer full): a %NULL-terminated array. */
char **
conn_enrol_codes (ConnServer *s, const char *const *communes, guint n_communes, guint n_devices);
/* A field of the server's /proc/PID/status in kB ("VmRSS", "VmHWM"), 0
 * when it cannot be read. */
guint64 conn_status_kb (ConnServer *s, const char *field);
/* Sorts latencies (doubles) for conn_percentile(). */
void conn_sort_latencies (GArray *latencies);
/* The @p quantile of sorted latencies, 1.0 the largest; 0 for none. */
double conn_percentile (GArray *sorted, double p);
/* One HTTP request: @token as a bearer, @body as JSON, @from as
 * X-Forwarded-For, each when not %NULL. Returns (transfer full)
 * (nullable): the answer's body, %NULL (status 0) on a transport error. */
GBytes *conn_http (SoupSession *session,
                   const char *method,
                   const char *url,
                   const char *token,
                   const char *body,
                   const char *from,
                   guint *status);

G_END_DECLS
