/*
 * A software view renders with SWGL, WebRender's own rasteriser: a page of
 * text, colour and an image drawn at an app window's size comes out right,
 * with no Mesa driver or libLLVM mapped in the process and the process's
 * private dirty memory under a bound that llvmpipe (its JIT'd shaders,
 * textures and surfaces) exceeds about twice over.
 *
 * With WEFT_WEBVIEW_SOFTWARE=llvmpipe (the software-llvmpipe test) the view
 * renders with llvmpipe instead, and only the page's pixels are checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "test.h"

#define APP_ID "org.weft.test.software"
#define WIDTH 1280
#define HEIGHT 720
/* One 1280x720 view renders in about 30 MiB of private dirty memory with
 * SWGL (Servo and SpiderMonkey included), above 100 MiB with llvmpipe. */
#define PRIVATE_DIRTY_MAX_KIB (64 * 1024)

static char *root;

struct frames {
	bool loaded;
	int count;
	uint32_t width, height;
	uint32_t centre; /* 0xRRGGBB of the last frame's centre */
	uint32_t corner; /* and of a point in the page's top left quarter */
	int dark_rows; /* rows of the last frame's text band with dark pixels */
};

static uint32_t rgb_at(const uint8_t *rgba, uint32_t stride, uint32_t x, uint32_t y)
{
	const uint8_t *p = rgba + (size_t)y * stride + (size_t)x * 4;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct frames *f = data;
	if (rgba == NULL) {
		return;
	}
	f->count++;
	f->width = width;
	f->height = height;
	f->centre = rgb_at(rgba, stride, width / 2, height / 2);
	f->corner = rgb_at(rgba, stride, width / 8, height / 8);
	/* The heading's text, black on white, in the top 100 rows. */
	f->dark_rows = 0;
	for (uint32_t y = 0; y < 100 && y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			const uint8_t *p = rgba + (size_t)y * stride + (size_t)x * 4;
			if (p[0] < 64 && p[1] < 64 && p[2] < 64) {
				f->dark_rows++;
				break;
			}
		}
	}
}

static void handle_load_status(void *data, int status)
{
	struct frames *f = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		f->loaded = true;
	}
}

static const struct weft_webview_listener listener = {
	.frame = handle_frame,
	.load_status = handle_load_status,
};

static bool page_drawn(const struct frames *f)
{
	return f->loaded && f->count > 0 && f->centre == 0x0000ff && f->corner == 0xffffff &&
		f->dark_rows >= 10;
}

static bool wait_page(struct frames *f)
{
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (!page_drawn(f)) {
		if (now_ms() > deadline) {
			fprintf(stderr,
				"# last frame %ux%u: centre %06x, corner %06x, %d text rows "
				"(%d frames, loaded %d)\n",
				f->width, f->height, f->centre, f->corner, f->dark_rows, f->count,
				f->loaded);
			return false;
		}
		spin();
	}
	return true;
}

/* Private_Dirty of /proc/self/smaps_rollup in KiB, or -1. */
static long private_dirty_kib(void)
{
	FILE *file = fopen("/proc/self/smaps_rollup", "re");
	if (file == NULL) {
		return -1;
	}
	long kib = -1;
	char line[256];
	while (fgets(line, sizeof(line), file) != NULL) {
		if (sscanf(line, "Private_Dirty: %ld kB", &kib) == 1) {
			break;
		}
	}
	fclose(file);
	return kib;
}

/* The first mapping of a Mesa driver or libLLVM, or NULL (owned by the
 * caller). */
static char *gl_driver_mapped(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	if (maps == NULL) {
		return strdup("/proc/self/maps unreadable");
	}
	char *found = NULL;
	char line[1024];
	while (found == NULL && fgets(line, sizeof(line), maps) != NULL) {
		if (strstr(line, "libLLVM") != NULL || strstr(line, "libgallium") != NULL ||
			strstr(line, "_dri.so") != NULL) {
			line[strcspn(line, "\n")] = '\0';
			found = strdup(line);
		}
	}
	fclose(maps);
	return found;
}

static bool llvmpipe_asked(void)
{
	const char *software = getenv("WEFT_WEBVIEW_SOFTWARE");
	return software != NULL && strcmp(software, "llvmpipe") == 0;
}

/* A view of the app's page PATH at an app window's size, its frames in f. */
static struct weft_webview *open_view(const char *path, struct frames *f)
{
	char url[256];
	snprintf(url, sizeof(url), "weft-app://" APP_ID "/%s", path);
	const struct weft_webview_options options = {
		.width = WIDTH,
		.height = HEIGHT,
		.scale = 1,
		.app_id = APP_ID,
		.url = url,
		.listener = &listener,
		.data = f,
	};
	return weft_webview_create(engine, &options);
}

static void renders_the_page(void)
{
	struct frames f = { 0 };
	struct weft_webview *view = open_view("index.html", &f);
	ASSERT(view != NULL);
	EXPECT(wait_page(&f));
	EXPECT(f.width == WIDTH && f.height == HEIGHT);

	long dirty = private_dirty_kib();
	char *driver = gl_driver_mapped();
	fprintf(stderr, "# private dirty %ld KiB; GL driver mapped: %s\n", dirty,
		driver != NULL ? driver : "none");
	if (llvmpipe_asked()) {
		EXPECT(driver != NULL);
	} else {
		EXPECT(driver == NULL);
		EXPECT(dirty > 0 && dirty < PRIVATE_DIRTY_MAX_KIB);
	}
	free(driver);
	weft_webview_destroy(view);
}

/* Every blend mode, filter and shadow WebRender draws with its own blend
 * factors: each reaches SWGL in a form it has (one it lacks aborts the
 * process), and the page around them is drawn. */
static void draws_blends_and_filters(void)
{
	struct frames f = { 0 };
	struct weft_webview *view = open_view("blends.html", &f);
	ASSERT(view != NULL);
	EXPECT(wait_page(&f));
	weft_webview_destroy(view);
}

/* Clips, masks, backdrop filters, SVG, a canvas, 3D transforms, borders,
 * images, scrolling and an animation: WebRender's other shaders (clip
 * masks, images, split composites) through SWGL, and the page drawn. */
static void draws_clips_masks_and_images(void)
{
	struct frames f = { 0 };
	struct weft_webview *view = open_view("clips.html", &f);
	ASSERT(view != NULL);
	EXPECT(wait_page(&f));
	/* Scrolled and animated: more frames with the same page. */
	int before = f.count;
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (f.count < before + 5 && now_ms() < deadline) {
		spin();
	}
	EXPECT(f.count >= before + 5);
	weft_webview_destroy(view);
}

static const char clips_page[] =
	"<!DOCTYPE html><meta charset=utf-8><style>"
	"body { margin: 0; background: #fff; font: 16px sans-serif; height: 3000px; }"
	"h1 { margin: 10px; font-size: 40px; color: #000; text-decoration: underline wavy red;"
	" outline: 3px dotted green; }"
	"#box { position: fixed; left: 540px; top: 260px; width: 200px; height: 200px;"
	" background: #0000ff; }"
	".c { display: inline-block; width: 90px; height: 90px; margin: 4px;"
	" background: repeating-linear-gradient(45deg, red 0 10px, yellow 10px 20px); }"
	"@keyframes spin { to { transform: rotate(360deg); } }"
	"</style><h1>Clips, masks and images \u2728</h1><div style='position: absolute;"
	" top: 200px; left: 0'>"
	"<div class=c style='clip-path: polygon(50% 0, 100% 100%, 0 100%)'></div>"
	"<div class=c style='clip-path: circle(40%)'></div>"
	"<div class=c style='mask-image: linear-gradient(black, transparent)'></div>"
	"<div class=c style='border-radius: 50% 10%; overflow: hidden'><div style='width:"
	" 200px; height: 200px; background: green; transform: rotate(30deg)'></div></div>"
	"<div class=c style='border: 12px solid; border-image: linear-gradient(red, blue)"
	" 1'></div>"
	"<div class=c style='box-shadow: 0 0 50px 20px rgba(0,0,0,.5)'></div>"
	"<div class=c style='animation: spin 1s linear infinite'></div>"
	"<div style='display: inline-block; perspective: 300px'><div class=c"
	" style='transform-style: preserve-3d; transform: rotateX(50deg) rotateZ(20deg);"
	" backface-visibility: hidden'></div></div>"
	"<div style='display: inline-block; position: relative'><div class=c></div>"
	"<div style='position: absolute; inset: 10px; backdrop-filter: blur(4px)"
	" invert(1)'></div></div>"
	"<svg width=90 height=90><circle cx=45 cy=45 r=35 fill=none stroke=purple"
	" stroke-width=8 stroke-dasharray='10 5'/><path d='M10 80 Q45 0 80 80'"
	" fill='rgba(0,128,255,.5)'/></svg>"
	"<img width=90 height=90 style='image-rendering: pixelated' src=\"data:image/svg+xml,"
	"%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 4'%3E%3Crect width='2'"
	" height='2' fill='red'/%3E%3C/svg%3E\">"
	"<canvas id=cv width=90 height=90></canvas></div><div id=box></div><script>"
	"const g = document.getElementById('cv').getContext('2d');"
	"g.fillStyle = 'orange'; g.fillRect(5, 5, 80, 80); g.strokeStyle = 'black';"
	"g.beginPath(); g.arc(45, 45, 30, 0, 6.3); g.stroke();"
	"addEventListener('load', () => { scrollTo(0, 40); });"
	"</script>";

static bool write_blends_page(void)
{
	static const char *const modes[] = { "multiply", "screen", "overlay", "darken", "lighten",
		"color-dodge", "color-burn", "hard-light", "soft-light", "difference", "exclusion",
		"hue", "saturation", "color", "luminosity", "plus-lighter" };
	static const char *const filters[] = { "blur(3px)", "grayscale(1)", "sepia(1)",
		"saturate(3)", "hue-rotate(90deg)", "invert(1)", "opacity(.5)", "brightness(2)",
		"contrast(3)", "drop-shadow(2px 2px 3px black)" };
	char page[8192];
	size_t len = (size_t)snprintf(page, sizeof(page),
		"<!DOCTYPE html><meta charset=utf-8><style>"
		"body { margin: 0; background: #fff; font: 16px sans-serif; }"
		"h1 { margin: 10px; font-size: 40px; color: #000; text-shadow: 2px 2px 4px #888; }"
		"#box { position: absolute; left: 540px; top: 260px; width: 200px;"
		" height: 200px; background: #0000ff; }"
		".b { display: inline-block; width: 60px; height: 60px;"
		" background: linear-gradient(45deg, red, blue); }"
		".b div { width: 40px; height: 40px; background: #0f08; }"
		".f { display: inline-block; width: 60px; height: 40px; background: orange; }"
		"</style><h1>Blends and filters</h1>"
		"<div style='position: absolute; left: 0; top: 150px'>");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		len += (size_t)snprintf(page + len, sizeof(page) - len,
			"<div class=b><div style='mix-blend-mode: %s'>%.3s</div></div>", modes[i],
			modes[i]);
	}
	len += (size_t)snprintf(page + len, sizeof(page) - len, "<br>");
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		len += (size_t)snprintf(page + len, sizeof(page) - len,
			"<div class=f style='filter: %s'>x</div>", filters[i]);
	}
	len += (size_t)snprintf(page + len, sizeof(page) - len,
		"</div><div style='position: absolute; left: 20px; top: 500px; width: 200px;"
		" height: 80px; border-radius: 30px; border: 4px dashed green;"
		" box-shadow: inset 0 0 10px red, 0 0 20px blue;"
		" background: radial-gradient(circle, yellow, transparent)'></div>"
		"<div style='position: absolute; left: 300px; top: 500px; width: 120px;"
		" height: 80px; background: conic-gradient(red, lime, blue, red);"
		" transform: perspective(200px) rotateY(40deg); opacity: .7'></div>"
		"<div id=box></div>");
	if (len >= sizeof(page)) {
		fprintf(stderr, "test-software-memory: the blends page is too long\n");
		return false;
	}
	test_write_file(root, "blends.html", page, len);
	return true;
}

int main(int argc, char **argv)
{
	if (!start_engine("test-software-memory")) {
		return 1;
	}
	root = test_mkdtemp();
	/* Text (the glyph atlas), a blue box in the middle and a gradient
	 * (cached as an image), on white. */
	static const char index[] =
		"<!DOCTYPE html><meta charset=utf-8><style>"
		"body { margin: 0; background: #fff; font: 40px sans-serif; }"
		"h1 { margin: 10px; font-size: 40px; color: #000; }"
		"#box { position: absolute; left: 540px; top: 260px; width: 200px;"
		" height: 200px; background: #0000ff; }"
		"#grad { position: absolute; left: 900px; top: 500px; width: 300px;"
		" height: 150px; background: linear-gradient(#f00, #0f0); }"
		"</style><h1>The quick brown fox jumps over the lazy dog</h1>"
		"<p>Some more words, in a paragraph of their own, drawn in grey.</p>"
		"<div id=box></div><div id=grad></div>";
	test_write_file(root, "index.html", index, strlen(index));
	int rc = 1;
	test_write_file(root, "clips.html", clips_page, strlen(clips_page));
	if (!write_blends_page()) {
		/* said why */
	} else if (!weft_webview_engine_serve_app(engine, APP_ID, root)) {
		fprintf(stderr, "test-software-memory: cannot serve %s\n", root);
	} else {
		static const struct test_case cases[] = {
			TEST_CASE(renders_the_page),
			TEST_CASE(draws_blends_and_filters),
			TEST_CASE(draws_clips_masks_and_images),
		};
		rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	}
	weft_webview_engine_destroy(engine);
	test_rmtree(root);
	free(root);
	return rc;
}
