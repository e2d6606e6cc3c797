/*
 * Screenshots against reference images, as weston's check_screen does: a
 * whole-screen comparison with a tolerance, and on a mismatch the shot and a
 * diff image left where the test's output goes.
 */
#include <errno.h>
#include <limits.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);
	return value != NULL && value[0] != '\0' ? value : fallback;
}

/* rgb: width * height * 3 bytes. */
static bool write_png(const char *path, int width, int height, const uint8_t *rgb)
{
	png_image png = {
		.version = PNG_IMAGE_VERSION,
		.width = (png_uint_32)width,
		.height = (png_uint_32)height,
		.format = PNG_FORMAT_RGB,
	};
	if (!png_image_write_to_file(&png, path, 0, rgb, 0, NULL)) {
		fprintf(stderr, "# write %s: %s\n", path, png.message);
		return false;
	}
	return true;
}

/* The image as RGB bytes (the X of XRGB dropped); NULL without memory. */
static uint8_t *image_rgb(const struct tc_image *image)
{
	size_t n = (size_t)image->width * image->height;
	uint8_t *rgb = malloc(n * 3);
	for (size_t i = 0; rgb != NULL && i < n; i++) {
		uint32_t p = image->pixels[i];
		rgb[3 * i] = (uint8_t)(p >> 16);
		rgb[3 * i + 1] = (uint8_t)(p >> 8);
		rgb[3 * i + 2] = (uint8_t)p;
	}
	return rgb;
}

static uint8_t *read_png(const char *path, int *width, int *height)
{
	png_image png = { .version = PNG_IMAGE_VERSION };
	if (!png_image_begin_read_from_file(&png, path)) {
		fprintf(stderr, "# read %s: %s\n", path, png.message);
		return NULL;
	}
	png.format = PNG_FORMAT_RGB;
	uint8_t *rgb = malloc(PNG_IMAGE_SIZE(png));
	if (rgb == NULL || !png_image_finish_read(&png, NULL, rgb, 0, NULL)) {
		fprintf(stderr, "# read %s: %s\n", path,
			rgb == NULL ? "out of memory" : png.message);
		png_image_free(&png);
		free(rgb);
		return NULL;
	}
	*width = (int)png.width;
	*height = (int)png.height;
	return rgb;
}

static int channel_diff(uint8_t a, uint8_t b)
{
	return a > b ? a - b : b - a;
}

/* Whether the RGB pixels at a and b are the same within tolerance. */
static bool pixel_same(const uint8_t *a, const uint8_t *b, int tolerance)
{
	return channel_diff(a[0], b[0]) <= tolerance && channel_diff(a[1], b[1]) <= tolerance &&
		channel_diff(a[2], b[2]) <= tolerance;
}

bool tc_image_check(const struct tc_image *image, const char *name, int tolerance)
{
	const char *refs = env_or("WEFT_TEST_REFERENCES", "reference");
	const char *out = env_or("WEFT_TEST_OUTPUT_DIR", ".");
	char ref_path[PATH_MAX], shot_path[PATH_MAX], diff_path[PATH_MAX];
	snprintf(ref_path, sizeof(ref_path), "%s/%s.png", refs, name);
	snprintf(shot_path, sizeof(shot_path), "%s/%s.png", out, name);
	snprintf(diff_path, sizeof(diff_path), "%s/%s-diff.png", out, name);

	uint8_t *got = image_rgb(image);
	if (got == NULL) {
		fprintf(stderr, "# %s: out of memory\n", name);
		return false;
	}
	if (getenv("WEFT_TEST_WRITE_REFERENCES") != NULL) {
		/* Once, from a known-good run; review the images before committing. */
		bool ok = write_png(ref_path, image->width, image->height, got);
		fprintf(stderr, "# %s: wrote the reference %s\n", name, ref_path);
		free(got);
		return ok;
	}

	int width = 0, height = 0;
	uint8_t *want = read_png(ref_path, &width, &height);
	size_t differ = 0;
	int first_x = -1, first_y = -1;
	if (want != NULL && width == image->width && height == image->height) {
		for (int y = 0; y < height; y++) {
			for (int x = 0; x < width; x++) {
				size_t i = 3 * ((size_t)y * width + x);
				if (!pixel_same(got + i, want + i, tolerance) && differ++ == 0) {
					first_x = x;
					first_y = y;
				}
			}
		}
		if (differ == 0) {
			free(got);
			free(want);
			return true;
		}
	} else if (want != NULL) {
		fprintf(stderr, "# %s: %dx%d, the reference is %dx%d\n", name, image->width,
			image->height, width, height);
	}

	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "# mkdir %s: %s\n", out, strerror(errno));
	}
	write_png(shot_path, image->width, image->height, got);
	if (differ > 0) {
		size_t i = 3 * ((size_t)first_y * width + first_x);
		fprintf(stderr,
			"# %s: %zu pixels differ from %s by more than %d, the first at %d,%d: "
			"%02x%02x%02x, not %02x%02x%02x; the shot is %s, the differences %s\n",
			name, differ, ref_path, tolerance, first_x, first_y, got[i], got[i + 1],
			got[i + 2], want[i], want[i + 1], want[i + 2], shot_path, diff_path);
		/* Differing pixels magenta over the reference, dimmed. */
		size_t n = (size_t)width * height * 3;
		for (i = 0; i < n; i += 3) {
			bool same = pixel_same(got + i, want + i, tolerance);
			got[i] = same ? want[i] / 4 : 0xff;
			got[i + 1] = same ? want[i + 1] / 4 : 0x00;
			got[i + 2] = same ? want[i + 2] / 4 : 0xff;
		}
		write_png(diff_path, width, height, got);
	} else {
		fprintf(stderr, "# %s: no reference to compare with; the shot is %s\n", name,
			shot_path);
	}
	free(got);
	free(want);
	return false;
}
