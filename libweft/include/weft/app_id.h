#ifndef WEFT_APP_ID_H
#define WEFT_APP_ID_H

#include "weft/common.h"

#define WEFT_APP_ID_MAX 255

/*
 * An app id is at least three dot-separated segments, each [a-z][a-z0-9]*,
 * at most WEFT_APP_ID_MAX bytes (design §5). On failure err says why.
 */
bool weft_app_id_valid(const char *id, struct weft_error *err);

#endif
