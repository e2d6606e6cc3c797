/*
 * Where WEFT keeps things (design §5). Every function returns a malloc'd
 * string the caller frees, or NULL with err set (no HOME, out of memory).
 */
#ifndef WEFT_PATHS_H
#define WEFT_PATHS_H

#include <sys/types.h>

#include "weft/common.h"
/* WEFT_SYSTEM_STORE and WEFT_SYSTEM_TRUST_DIR, from the install prefix. */
#include "weft/install-paths.h"

/* $XDG_DATA_HOME, else $HOME/.local/share; likewise for the others. */
char *weft_path_data_home(struct weft_error *err);
char *weft_path_config_home(struct weft_error *err);
char *weft_path_cache_home(struct weft_error *err);
/* The user's documents directory: $XDG_DOCUMENTS_DIR (xdg-user-dirs), else
 * $HOME/Documents. It need not exist. */
char *weft_path_documents_dir(struct weft_error *err);
/* $XDG_RUNTIME_DIR; there is no fallback. */
char *weft_path_runtime_dir(struct weft_error *err);
/* appd's socket: $WEFT_APPD_SOCKET if set, else $XDG_RUNTIME_DIR/weft/appd.sock. */
char *weft_path_appd_socket(struct weft_error *err);

/* Where install writes: $WEFT_APP_STORE if set, else $XDG_DATA_HOME/weft/apps. */
char *weft_path_user_store(struct weft_error *err);
/* $XDG_DATA_HOME/weft/data/<app_id>: app data, kept outside the package. */
char *weft_path_app_data(const char *app_id, struct weft_error *err);
/* $XDG_CONFIG_HOME/weft/trusted-keys: where `trust add` writes. */
char *weft_path_user_trust_dir(struct weft_error *err);

/* Store roots in lookup order: $WEFT_APP_STORE, $XDG_DATA_HOME/weft/apps, system. */
bool weft_store_roots(struct weft_strv *out, struct weft_error *err);
/* Trust directories in lookup order: user, then system. */
bool weft_trust_dirs(struct weft_strv *out, struct weft_error *err);
/*
 * The package directory of app_id in the first store root that has it, or
 * NULL with err set ("not installed").
 */
char *weft_store_find(const char *app_id, struct weft_error *err);

/* mkdir -p with mode for the directories it creates; true when path is a
 * directory afterwards. */
bool weft_make_dirs(const char *path, mode_t mode, struct weft_error *err);

#endif
