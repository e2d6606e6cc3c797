/*
 * Input for a libweftview view: an app_input_listener whose data is a
 * struct weft_webview ** (the view may come later, or go: NULL drops the
 * events). Shared by weft-app-shell and weft-shell.
 */
#ifndef APP_SHELL_VIEW_INPUT_H
#define APP_SHELL_VIEW_INPUT_H

#include "input.h"

extern const struct app_input_listener app_view_input_listener;

#endif
