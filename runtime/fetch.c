/*
 * weft:app/fetch over libcurl. The host is checked against the grants on
 * the URL and again on every redirect, which we follow ourselves for that
 * reason; only http and https are spoken, with time-outs and a cap on the
 * response size.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "val.h"
#include "weft/log.h"

#define FETCH_MAX_REDIRECTS 5

struct body_buf {
	uint8_t *data;
	size_t len, cap, max;
	bool too_large;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_buf *b = userdata;
	size_t n = size * nmemb;
	if (n > b->max - b->len) {
		b->too_large = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 16384;
		while (cap < b->len + n) {
			cap *= 2;
		}
		uint8_t *data = realloc(b->data, cap);
		if (data == NULL) {
			return 0;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

/* The lowercase host of an http(s) URL, or NULL with *why set. */
static char *url_host(const char *url, const char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *result = NULL;
	if (u == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		*why = "invalid URL";
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		*why = "only http and https URLs can be fetched";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		*why = "invalid URL";
		goto out;
	}
	result = strdup(host);
	if (result == NULL) {
		*why = "out of memory";
		goto out;
	}
	for (char *p = result; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return result;
}

static bool valid_token(const char *s, size_t len)
{
	if (len == 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL) {
			return false;
		}
	}
	return true;
}

static bool valid_header_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') {
			return false;
		}
	}
	return true;
}

static struct curl_slist *build_headers(const wasmtime_component_val_t *list, const char **why)
{
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i < list->of.list.size; i++) {
		const wasmtime_component_val_t *pair = list->of.list.data[i].of.tuple.data;
		const wasm_name_t *name = &pair[0].of.string, *value = &pair[1].of.string;
		if (!valid_token(name->data, name->size) ||
			!valid_header_value(value->data, value->size)) {
			*why = "invalid header";
			curl_slist_free_all(headers);
			return NULL;
		}
		char *line = weft_strdup_printf(
			"%.*s: %.*s", (int)name->size, name->data, (int)value->size, value->data);
		struct curl_slist *next = line != NULL ? curl_slist_append(headers, line) : NULL;
		free(line);
		if (next == NULL) {
			*why = "out of memory";
			curl_slist_free_all(headers);
			return NULL;
		}
		headers = next;
	}
	return headers;
}

static void response_val(wasmtime_component_val_t *result, long status, const char *ctype,
	const struct body_buf *body)
{
	wasmtime_component_val_t rec = { .kind = WASMTIME_COMPONENT_RECORD };
	wasmtime_component_valrecord_new_uninit(&rec.of.record, 3);
	wasmtime_component_valrecord_entry_t *f = rec.of.record.data;

	wasm_name_new_from_string(&f[0].name, "status");
	f[0].val.kind = WASMTIME_COMPONENT_U16;
	f[0].val.of.u16 = (uint16_t)status;

	wasm_name_new_from_string(&f[1].name, "content-type");
	val_string(&f[1].val, ctype != NULL ? ctype : "", ctype != NULL ? strlen(ctype) : 0);

	wasm_name_new_from_string(&f[2].name, "body");
	f[2].val.kind = WASMTIME_COMPONENT_LIST;
	wasmtime_component_vallist_new_uninit(&f[2].val.of.list, body->len);
	for (size_t i = 0; i < body->len; i++) {
		f[2].val.of.list.data[i].kind = WASMTIME_COMPONENT_U8;
		f[2].val.of.list.data[i].of.u8 = body->data[i];
	}

	result->kind = WASMTIME_COMPONENT_RESULT;
	result->of.result.is_ok = true;
	result->of.result.val = wasmtime_component_val_new(&rec);
}

void runtime_fetch(struct runtime_host *host, const wasmtime_component_val_t *args,
	wasmtime_component_val_t *result)
{
	char *url = strndup(args[0].of.string.data, args[0].of.string.size);
	char *method = strndup(args[1].of.string.data, args[1].of.string.size);
	const wasmtime_component_val_t *body_opt = args[3].of.option;
	uint8_t *req_body = NULL;
	size_t req_body_len = 0;
	struct curl_slist *headers = NULL;
	struct body_buf body = { .max = host->limits->fetch_body_bytes };
	const char *why = NULL;
	char *host_name = NULL;
	CURL *curl = NULL;

	if (url == NULL || method == NULL) {
		val_result_err(result, "out of memory");
		goto out;
	}
	if (!valid_token(method, strlen(method))) {
		val_result_err(result, "invalid method");
		goto out;
	}
	headers = build_headers(&args[2], &why);
	if (why != NULL) {
		val_result_err(result, "%s", why);
		goto out;
	}
	if (body_opt != NULL) {
		req_body_len = body_opt->of.list.size;
		req_body = malloc(req_body_len > 0 ? req_body_len : 1);
		if (req_body == NULL) {
			val_result_err(result, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < req_body_len; i++) {
			req_body[i] = body_opt->of.list.data[i].of.u8;
		}
	}

	curl = curl_easy_init();
	if (curl == NULL) {
		val_result_err(result, "fetch: cannot start libcurl");
		goto out;
	}
	for (int hop = 0;; hop++) {
		free(host_name);
		host_name = url_host(url, &why);
		if (host_name == NULL) {
			val_result_err(result, "%s: %s", why, url);
			goto out;
		}
		if (!runtime_grants_allow_host(host->grants, host_name)) {
			weft_log(WEFT_WARN, "fetch %s: capability not granted: net:fetch:%s", url,
				host_name);
			val_result_err(result, "capability not granted: net:fetch:%s", host_name);
			goto out;
		}

		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, host->limits->fetch_timeout_ms);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "weft-runtime/" WEFT_VERSION);
		if (strcmp(method, "HEAD") == 0) {
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		} else if (strcmp(method, "GET") != 0 || req_body != NULL) {
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		}
		if (req_body != NULL) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (char *)req_body);
			curl_easy_setopt(
				curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_body_len);
		}

		body.len = 0;
		CURLcode rc = curl_easy_perform(curl);
		if (rc != CURLE_OK) {
			if (body.too_large) {
				val_result_err(result, "fetch %s: response larger than %zu bytes",
					url, body.max);
			} else {
				val_result_err(
					result, "fetch %s: %s", url, curl_easy_strerror(rc));
			}
			goto out;
		}
		long status = 0;
		char *location = NULL, *ctype = NULL;
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype);
		if (status < 300 || status > 399 || location == NULL) {
			response_val(result, status, ctype, &body);
			goto out;
		}
		if (hop == FETCH_MAX_REDIRECTS) {
			val_result_err(result, "fetch %s: too many redirects", url);
			goto out;
		}
		char *next = strdup(location);
		if (next == NULL) {
			val_result_err(result, "out of memory");
			goto out;
		}
		free(url);
		url = next;
		/* 303, and 301/302 after POST as browsers do, turn into GET. */
		if (status == 303 || ((status == 301 || status == 302) && req_body != NULL)) {
			free(req_body);
			req_body = NULL;
			free(method);
			method = strdup("GET");
			if (method == NULL) {
				val_result_err(result, "out of memory");
				goto out;
			}
		}
	}

out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	free(host_name);
	free(body.data);
	free(req_body);
	free(method);
	free(url);
}
