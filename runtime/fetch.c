/*
 * weft:app/fetch over libcurl, on connections the runtime does not make:
 * for the URL and again for every redirect, which we follow ourselves for
 * that reason, appd (net.c) checks the host and port against the grants,
 * resolves and connects, and hands over the socket. libcurl is given that
 * socket as already connected and the address appd used as the host's
 * only one, so that it neither resolves nor connects; https is still
 * verified against the host's name. Only http and https are spoken, with
 * time-outs and a cap on the response size.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "val.h"
#include "weft/log.h"

#define FETCH_MAX_REDIRECTS 5

/*
 * libcurl and the libraries it pulls in (TLS, GSSAPI, LDAP, ...) take longer
 * to load and initialise than the rest of the runtime's start-up together,
 * so it is loaded on the first fetch, not at start.
 */
struct runtime_curl {
	void *lib;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_reset)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
};

#define CURL_SYM(c, field, name) ((*(void **)&(c)->field = dlsym((c)->lib, name)) != NULL)

static struct runtime_curl *curl_load(const char **why)
{
	struct runtime_curl *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*why = "out of memory";
		return NULL;
	}
	c->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	CURLcode (*global_init)(long flags) = NULL;
	bool ok = c->lib != NULL && CURL_SYM(c, easy_init, "curl_easy_init") &&
		CURL_SYM(c, easy_setopt, "curl_easy_setopt") &&
		CURL_SYM(c, easy_perform, "curl_easy_perform") &&
		CURL_SYM(c, easy_getinfo, "curl_easy_getinfo") &&
		CURL_SYM(c, easy_reset, "curl_easy_reset") &&
		CURL_SYM(c, easy_cleanup, "curl_easy_cleanup") &&
		CURL_SYM(c, easy_strerror, "curl_easy_strerror") &&
		CURL_SYM(c, slist_append, "curl_slist_append") &&
		CURL_SYM(c, slist_free_all, "curl_slist_free_all") &&
		CURL_SYM(c, url, "curl_url") && CURL_SYM(c, url_set, "curl_url_set") &&
		CURL_SYM(c, url_get, "curl_url_get") &&
		CURL_SYM(c, url_cleanup, "curl_url_cleanup") && CURL_SYM(c, free, "curl_free") &&
		(*(void **)&global_init = dlsym(c->lib, "curl_global_init")) != NULL &&
		global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!ok) {
		weft_log(WEFT_ERROR, "fetch: cannot load libcurl: %s",
			c->lib != NULL ? "missing symbols or init failed" : dlerror());
		*why = "fetch: libcurl is not available";
		if (c->lib != NULL) {
			dlclose(c->lib);
		}
		free(c);
		return NULL;
	}
	return c;
}

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

/* The socket appd connected, handed to libcurl once. */
static curl_socket_t open_brokered(void *data, curlsocktype purpose, struct curl_sockaddr *addr)
{
	int *fd = data;
	int taken = *fd;
	*fd = -1; /* libcurl's from now on, and closed by it */
	return taken >= 0 ? taken : CURL_SOCKET_BAD;
}

static int sockopt_connected(void *data, curl_socket_t fd, curlsocktype purpose)
{
	return CURL_SOCKOPT_ALREADY_CONNECTED;
}

/* "host:port:address" for CURLOPT_RESOLVE, an IPv6 address in brackets. */
static char *resolve_entry(const char *host, const char *port, const char *address)
{
	bool v6 = strchr(address, ':') != NULL;
	return weft_strdup_printf("%s:%s:%s%s%s", host, port, v6 ? "[" : "", address,
		v6 ? "]" : "");
}

/* The lowercase host of an http(s) URL, and in *port its port (the scheme's
 * default when it names none); NULL with *why set. */
static char *url_host(struct runtime_curl *c, const char *url, char **port, const char **why)
{
	CURLU *u = c->url();
	char *scheme = NULL, *host = NULL, *port_part = NULL, *result = NULL;
	*port = NULL;
	if (u == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (c->url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		c->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		*why = "invalid URL";
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		*why = "only http and https URLs can be fetched";
		goto out;
	}
	if (c->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		c->url_get(u, CURLUPART_PORT, &port_part, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		*why = "invalid URL";
		goto out;
	}
	result = strdup(host);
	*port = strdup(port_part);
	if (result == NULL || *port == NULL) {
		*why = "out of memory";
		free(result);
		free(*port);
		result = *port = NULL;
		goto out;
	}
	for (char *p = result; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
out:
	c->free(scheme);
	c->free(host);
	c->free(port_part);
	c->url_cleanup(u);
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

static struct curl_slist *build_headers(struct runtime_curl *c,
	const wasmtime_component_val_t *list, const char **why)
{
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i < list->of.list.size; i++) {
		const wasmtime_component_val_t *pair = list->of.list.data[i].of.tuple.data;
		const wasm_name_t *name = &pair[0].of.string, *value = &pair[1].of.string;
		if (!valid_token(name->data, name->size) ||
			!valid_header_value(value->data, value->size)) {
			*why = "invalid header";
			c->slist_free_all(headers);
			return NULL;
		}
		char *line = weft_strdup_printf("%.*s: %.*s", (int)name->size, name->data,
			(int)value->size, value->data);
		struct curl_slist *next = line != NULL ? c->slist_append(headers, line) : NULL;
		free(line);
		if (next == NULL) {
			*why = "out of memory";
			c->slist_free_all(headers);
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
	char *host_name = NULL, *port = NULL;
	struct runtime_curl *c = NULL;
	CURL *curl = NULL;
	struct curl_slist *resolve = NULL;
	int sock = -1;
	char curl_error[CURL_ERROR_SIZE];
	/* Resolving and connecting get at most 10 s of the fetch's time. */
	long connect_ms = host->limits->fetch_timeout_ms < WEFT_NET_TIMEOUT_MAX_MS
		? host->limits->fetch_timeout_ms
		: WEFT_NET_TIMEOUT_MAX_MS;

	if (url == NULL || method == NULL) {
		val_result_err(result, "out of memory");
		goto out;
	}
	if (!valid_token(method, strlen(method))) {
		val_result_err(result, "invalid method");
		goto out;
	}
	if (host->curl == NULL) {
		host->curl = curl_load(&why);
		if (host->curl == NULL) {
			val_result_err(result, "%s", why);
			goto out;
		}
	}
	c = host->curl;
	headers = build_headers(c, &args[2], &why);
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

	curl = c->easy_init();
	if (curl == NULL) {
		val_result_err(result, "fetch: cannot start libcurl");
		goto out;
	}
	for (int hop = 0;; hop++) {
		free(host_name);
		free(port);
		host_name = url_host(c, url, &port, &why);
		if (host_name == NULL) {
			val_result_err(result, "%s: %s", why, url);
			goto out;
		}
		/* An IPv6 address comes in brackets from the URL. */
		size_t name_len = strlen(host_name);
		bool bracketed = name_len > 2 && host_name[0] == '[';
		char *name = bracketed ? strndup(host_name + 1, name_len - 2) : strdup(host_name);
		if (name == NULL) {
			val_result_err(result, "out of memory");
			goto out;
		}
		char address[WEFT_NET_ADDRESS_MAX];
		bool denied;
		struct weft_error net_err = { 0 };
		bool connected = runtime_net_connect(host, name, (unsigned)strtoul(port, NULL, 10),
			(int)connect_ms, &sock, address, &denied, &net_err);
		free(name);
		if (!connected) {
			if (denied) {
				weft_log(WEFT_WARN, "fetch %s: %s", url, net_err.msg);
				val_result_err(result, "%s", net_err.msg);
			} else {
				val_result_err(result, "fetch %s: %s", url, net_err.msg);
			}
			goto out;
		}
		c->slist_free_all(resolve);
		resolve = NULL;
		if (!bracketed) {
			char *entry = resolve_entry(host_name, port, address);
			resolve = entry != NULL ? c->slist_append(NULL, entry) : NULL;
			free(entry);
			if (resolve == NULL) {
				val_result_err(result, "out of memory");
				goto out;
			}
		}

		c->easy_reset(curl);
		c->easy_setopt(curl, CURLOPT_URL, url);
		c->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		c->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		/* appd's socket, for this request only; no resolving, no proxy. */
		c->easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_brokered);
		c->easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &sock);
		c->easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, sockopt_connected);
		c->easy_setopt(curl, CURLOPT_RESOLVE, resolve);
		c->easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
		c->easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
		c->easy_setopt(curl, CURLOPT_PROXY, "");
		c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
		c->easy_setopt(curl, CURLOPT_TIMEOUT_MS, host->limits->fetch_timeout_ms);
		c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		c->easy_setopt(curl, CURLOPT_WRITEDATA, &body);
		c->easy_setopt(curl, CURLOPT_USERAGENT, "weft-runtime/" WEFT_VERSION);
		/* Says which certificate check failed, where easy_strerror
		 * only says that one did. */
		curl_error[0] = '\0';
		c->easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
		c->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
		c->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
		if (host->fetch_ca_file != NULL) {
			c->easy_setopt(curl, CURLOPT_CAINFO, host->fetch_ca_file);
			c->easy_setopt(curl, CURLOPT_CAPATH, NULL);
		}
		if (strcmp(method, "HEAD") == 0) {
			c->easy_setopt(curl, CURLOPT_NOBODY, 1L);
		} else if (strcmp(method, "GET") != 0 || req_body != NULL) {
			c->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		}
		if (req_body != NULL) {
			c->easy_setopt(curl, CURLOPT_POSTFIELDS, (char *)req_body);
			c->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				(curl_off_t)req_body_len);
		}

		body.len = 0;
		CURLcode rc = c->easy_perform(curl);
		if (sock >= 0) {
			/* libcurl stopped before it wanted a connection. */
			close(sock);
			sock = -1;
		}
		if (rc != CURLE_OK) {
			if (body.too_large) {
				val_result_err(result, "fetch %s: response larger than %zu bytes",
					url, body.max);
			} else {
				val_result_err(result, "fetch %s: %s", url,
					curl_error[0] != '\0' ? curl_error : c->easy_strerror(rc));
			}
			goto out;
		}
		long status = 0;
		char *location = NULL, *ctype = NULL;
		c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		c->easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
		c->easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype);
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
	if (c != NULL) {
		c->easy_cleanup(curl);
		c->slist_free_all(headers);
		c->slist_free_all(resolve);
	}
	if (sock >= 0) {
		close(sock);
	}
	free(host_name);
	free(port);
	free(body.data);
	free(req_body);
	free(method);
	free(url);
}
