/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

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

G_END_DECLS
