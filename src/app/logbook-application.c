/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "logbook-application"

#include "config.h"

#include <glib/gi18n.h>

#include "logbook-application.h"
#include "logbook-preferences-window.h"
#include "logbook-window.h"
#include "pcmbn-util.h"

struct _LogbookApplication
{
  AdwApplication parent_instance;

  LogbookContext *context;
  gint64 started_at;
};

G_DEFINE_FINAL_TYPE (LogbookApplication, logbook_application, ADW_TYPE_APPLICATION)

/* Opens the database before GTK starts: its settings hold the language,
 * which must be chosen before the first translated string. */
static int
logbook_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  LogbookApplication *self = LOGBOOK_APPLICATION (app);
  g_autofree char *path = NULL;
  g_autofree char *language = NULL;
  g_autoptr (GError) error = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("pcmbn-logbook %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "db", "^ay", &path))
    /* Another database is another logbook: let it run beside the usual one. */
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  else
    path = pcmbn_store_default_path ();
  self->context = logbook_context_open (path, &error);
  if (self->context == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  language = logbook_context_dup_language (self->context);
  if (language && !g_getenv ("PCMBN_IGNORE_LANGUAGE_SETTING"))
    g_setenv ("LANGUAGE", language, TRUE);
  return -1;
}

static void
on_first_frame (GdkFrameClock *clock, LogbookApplication *self)
{
  g_print ("first-frame-us %" G_GINT64_FORMAT "\n", g_get_monotonic_time () - self->started_at);
  g_signal_handlers_disconnect_by_func (clock, on_first_frame, self);
  g_application_quit (G_APPLICATION (self));
}

static void
logbook_application_activate (GApplication *app)
{
  LogbookApplication *self = LOGBOOK_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (logbook_window_new (GTK_APPLICATION (app), self->context));
      /* For the start-up benchmark: report the first painted frame, quit. */
      if (g_getenv ("PCMBN_LOGBOOK_FIRST_FRAME"))
        {
          gtk_widget_realize (GTK_WIDGET (window));
          g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                            G_CALLBACK (on_first_frame), self);
        }
    }
  gtk_window_present (window);
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  LogbookApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  gtk_window_present (GTK_WINDOW (logbook_preferences_window_new (self->context, parent)));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { _ ("The PCMBN Logbook contributors"), NULL };

  adw_show_about_window (
      parent, "application-name", _ ("PCMBN Logbook"), "application-icon", APPLICATION_ID,
      "version", PACKAGE_VERSION, "license-type", GTK_LICENSE_GPL_3_0, "developers", developers,
      "comments", _ ("Records of the communication against human trafficking, offline first."),
      NULL);
}

/**
 * logbook_application_find_guide:
 *
 * The user guide in the interface's language: the installed copy, else the
 * one built in the build tree (uninstalled runs).
 *
 * Returns: (transfer full) (nullable): the guide's path, %NULL when neither
 *   exists
 */
char *
logbook_application_find_guide (void)
{
  const char *lang = pcmbn_is_vietnamese () ? "vi" : "en";
  const char *const langs[] = { lang, "en", NULL };

  for (guint i = 0; langs[i]; i++)
    {
      g_autofree char *file = g_strconcat (langs[i], ".html", NULL);
      g_autofree char *installed = g_build_filename (LOGBOOK_DATADIR, "pcmbn-logbook", "guide",
                                                     file, NULL);
      g_autofree char *built = g_build_filename (LOGBOOK_BUILDDIR, "docs", "guide", file, NULL);

      if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&installed);
      if (g_file_test (built, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&built);
    }
  return NULL;
}

static void
help_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkWindow) parent = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) && parent)
    {
      GtkWidget *dialog = adw_message_dialog_new (parent, _ ("Cannot Open the Guide"),
                                                  error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
help_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  g_autofree char *path = logbook_application_find_guide ();
  g_autofree char *uri = NULL;

  if (path == NULL)
    {
      if (parent)
        {
          GtkWidget *dialog = adw_message_dialog_new (
              parent, _ ("The Guide Is Not Installed"),
              _ ("The user guide was not found on this computer. "
                 "Reinstall the Logbook to get it."));
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
          gtk_window_present (GTK_WINDOW (dialog));
        }
      return;
    }
  uri = g_filename_to_uri (path, NULL, NULL);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, help_done,
                                           parent ? g_object_ref (parent) : NULL);
}

static void
logbook_application_startup (GApplication *app)
{
  static const GActionEntry entries[] = {
    { "quit", quit_action },
    { "preferences", preferences_action },
    { "about", about_action },
    { "help", help_action },
  };
  static const char *const help_accels[] = { "F1", NULL };
  static const char *const quit_accels[] = { "<Control>q", NULL };
  static const char *const prefs_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (logbook_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.help", help_accels);
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
logbook_application_dispose (GObject *object)
{
  g_clear_object (&LOGBOOK_APPLICATION (object)->context);
  G_OBJECT_CLASS (logbook_application_parent_class)->dispose (object);
}

static void
logbook_application_class_init (LogbookApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = logbook_application_dispose;
  app_class->handle_local_options = logbook_application_handle_local_options;
  app_class->activate = logbook_application_activate;
  app_class->startup = logbook_application_startup;
}

static void
logbook_application_init (LogbookApplication *self)
{
  static const GOptionEntry options[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_ ("Use this database instead of the usual one"),
      N_ ("PATH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_ ("Print the version and exit"), NULL },
    { NULL }
  };

  self->started_at = g_get_monotonic_time ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

LogbookApplication *
logbook_application_new (void)
{
  return g_object_new (LOGBOOK_TYPE_APPLICATION, "application-id", APPLICATION_ID, "flags",
                       G_APPLICATION_DEFAULT_FLAGS, "resource-base-path", "/org/pcmbn/Logbook",
                       NULL);
}

/**
 * logbook_application_get_context:
 * @self: the application
 *
 * Returns: (transfer none) (nullable): the context, once the options were handled
 */
LogbookContext *
logbook_application_get_context (LogbookApplication *self)
{
  return self->context;
}
