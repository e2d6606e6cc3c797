//! SWGL behind gleam's `Gl`, as WebRender drives it from Servo's painter.
//!
//! Servo's painter builds WebRender with `clear_caches_with_quads` (fixed in
//! servo-paint), so WebRender clears a picture tile's dirty rect by drawing
//! its `ps_clear` quad with the depth test set to `GL_ALWAYS`; SWGL supports
//! only `GL_LESS` and `GL_LEQUAL` (any other aborts it). This wrapper keeps
//! SWGL's depth function and draws such a quad with the depth test off,
//! after clearing the depth buffer to the far plane, 1.0, which is what the
//! quad writes (its z is its w).
//!
//! Servo's WebRender also dithers gradients, and SWGL's shaders are built
//! without that feature: a shader asked for with it gets the one without
//! (gradients drawn undithered). And SWGL blends only some of the factor
//! pairs WebRender's dual-source blending uses (not its multiply): the
//! extension is hidden, so WebRender blends without it (and draws text in
//! grayscale, as SWGL's Firefox does). Of WebRender's separate colour and
//! alpha blend factors SWGL has only some pairs: the others become the same
//! blend in a form SWGL has (one factor pair for all four channels where
//! the alpha pair is the colour pair's alpha, and the blend equations of
//! KHR_blend_equation_advanced for screen and exclusion). Every other call
//! goes straight to SWGL.
//!
//! `impl Gl` writes out only the methods that differ (the depth state, the
//! draw calls, blending, the extensions and shader names); every other
//! method of gleam 0.15's trait is listed once in `forward!` and passes its
//! arguments straight to SWGL.

use std::cell::Cell;
use std::ffi::{c_int, c_void};

use gleam::gl::*;

pub struct SwglGl {
    gl: swgl::Context,
    depth_test: Cell<bool>,
    depth_write: Cell<bool>,
    depth_always: Cell<bool>,
}

/// The factor that does for alpha what factor does for colour.
fn alpha_factor(factor: GLenum) -> GLenum {
    match factor {
        SRC_COLOR => SRC_ALPHA,
        ONE_MINUS_SRC_COLOR => ONE_MINUS_SRC_ALPHA,
        DST_COLOR => DST_ALPHA,
        ONE_MINUS_DST_COLOR => ONE_MINUS_DST_ALPHA,
        SRC1_COLOR => SRC1_ALPHA,
        ONE_MINUS_SRC1_COLOR => ONE_MINUS_SRC1_ALPHA,
        other => other,
    }
}

impl SwglGl {
    pub fn new(gl: swgl::Context) -> Self {
        Self {
            gl,
            depth_test: Cell::new(false),
            depth_write: Cell::new(true),
            depth_always: Cell::new(false),
        }
    }

    fn draw(&self, draw: impl FnOnce(&swgl::Context)) {
        if !(self.depth_test.get() && self.depth_always.get()) {
            draw(&self.gl);
            return;
        }
        if self.depth_write.get() {
            self.gl.clear_depth(1.0);
            self.gl.clear(DEPTH_BUFFER_BIT);
        }
        self.gl.disable(DEPTH_TEST);
        draw(&self.gl);
        self.gl.enable(DEPTH_TEST);
    }
}

/// Methods that only pass their arguments on to SWGL, one line each.
macro_rules! forward {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        $(fn $name(&self, $($arg: $ty),*) $(-> $ret)? {
            self.gl.$name($($arg),*)
        })*
    };
}

/// The same for gleam's unsafe methods.
macro_rules! forward_unsafe {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        $(unsafe fn $name(&self, $($arg: $ty),*) $(-> $ret)? {
            unsafe { self.gl.$name($($arg),*) }
        })*
    };
}

impl Gl for SwglGl {
    fn blend_func_separate(
        &self,
        src_rgb: GLenum,
        dest_rgb: GLenum,
        src_alpha: GLenum,
        dest_alpha: GLenum,
    ) {
        // WebRender set FUNC_ADD just before (set_blend_factors); an
        // advanced equation makes SWGL ignore the factors.
        match (src_rgb, dest_rgb, src_alpha, dest_alpha) {
            // Premultiplied screen: s + d - s * d, alpha the same.
            (ONE, ONE_MINUS_SRC_COLOR, ONE, ONE_MINUS_SRC_ALPHA) => {
                self.gl.blend_equation(SCREEN_KHR)
            }
            // Premultiplied exclusion: s + d - 2 * s * d.
            (ONE_MINUS_DST_COLOR, ONE_MINUS_SRC_COLOR, ONE, ONE_MINUS_SRC_ALPHA) => {
                self.gl.blend_equation(EXCLUSION_KHR)
            }
            _ if src_alpha == alpha_factor(src_rgb) && dest_alpha == alpha_factor(dest_rgb) => {
                self.gl.blend_func(src_rgb, dest_rgb)
            }
            _ => self
                .gl
                .blend_func_separate(src_rgb, dest_rgb, src_alpha, dest_alpha),
        }
    }

    fn get_string_i(&self, which: GLenum, index: GLuint) -> String {
        let name = self.gl.get_string_i(which, index);
        if which == EXTENSIONS && name.ends_with("_blend_func_extended") {
            return "GL_WEFT_hidden_blend_func_extended".to_string();
        }
        name
    }

    fn shader_source(&self, shader: GLuint, strings: &[&[u8]]) {
        // WebRender names the shader in a "// shader: NAME FEATURES" line,
        // all SWGL reads (swgl_fns.rs).
        const PREFIX: &str = "// shader: ";
        for string in strings {
            let Ok(text) = std::str::from_utf8(string) else {
                continue;
            };
            let Some(start) = text.find(PREFIX) else {
                continue;
            };
            let line = text[start + PREFIX.len()..].lines().next().unwrap_or("");
            let (name, features) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            let kept: Vec<&str> = features
                .split(',')
                .filter(|f| !f.is_empty() && *f != "DITHERING")
                .collect();
            let named = format!("{PREFIX}{name} {}\n", kept.join(","));
            self.gl.shader_source(shader, &[named.as_bytes()]);
            return;
        }
        self.gl.shader_source(shader, strings)
    }

    fn depth_func(&self, func: GLenum) {
        self.depth_always.set(func == ALWAYS);
        if func != ALWAYS {
            self.gl.depth_func(func);
        }
    }

    fn enable(&self, cap: GLenum) {
        if cap == DEPTH_TEST {
            self.depth_test.set(true);
        }
        self.gl.enable(cap)
    }

    fn disable(&self, cap: GLenum) {
        if cap == DEPTH_TEST {
            self.depth_test.set(false);
        }
        self.gl.disable(cap)
    }

    fn depth_mask(&self, flag: bool) {
        self.depth_write.set(flag);
        self.gl.depth_mask(flag)
    }

    fn draw_arrays(&self, mode: GLenum, first: GLint, count: GLsizei) {
        self.draw(|gl| gl.draw_arrays(mode, first, count))
    }

    fn draw_arrays_instanced(
        &self,
        mode: GLenum,
        first: GLint,
        count: GLsizei,
        primcount: GLsizei,
    ) {
        self.draw(|gl| gl.draw_arrays_instanced(mode, first, count, primcount))
    }

    fn draw_elements(
        &self,
        mode: GLenum,
        count: GLsizei,
        element_type: GLenum,
        indices_offset: GLuint,
    ) {
        self.draw(|gl| gl.draw_elements(mode, count, element_type, indices_offset))
    }

    fn draw_elements_instanced(
        &self,
        mode: GLenum,
        count: GLsizei,
        element_type: GLenum,
        indices_offset: GLuint,
        primcount: GLsizei,
    ) {
        self.draw(|gl| {
            gl.draw_elements_instanced(mode, count, element_type, indices_offset, primcount)
        })
    }

    forward! {
        fn get_type() -> GlType;
        fn buffer_data_untyped(target: GLenum, size: GLsizeiptr, data: *const GLvoid, usage: GLenum);
        fn buffer_sub_data_untyped(target: GLenum, offset: isize, size: GLsizeiptr, data: *const GLvoid);
        fn map_buffer(target: GLenum, access: GLbitfield) -> *mut c_void;
        fn map_buffer_range(target: GLenum, offset: GLintptr, length: GLsizeiptr, access: GLbitfield) -> *mut c_void;
        fn unmap_buffer(target: GLenum) -> GLboolean;
        fn tex_buffer(target: GLenum, internal_format: GLenum, buffer: GLuint);
        fn read_buffer(mode: GLenum);
        fn read_pixels_into_buffer(x: GLint, y: GLint, width: GLsizei, height: GLsizei, format: GLenum, pixel_type: GLenum, dst_buffer: &mut [u8]);
        fn read_pixels(x: GLint, y: GLint, width: GLsizei, height: GLsizei, format: GLenum, pixel_type: GLenum) -> Vec<u8>;
        fn sample_coverage(value: GLclampf, invert: bool);
        fn polygon_offset(factor: GLfloat, units: GLfloat);
        fn pixel_store_i(name: GLenum, param: GLint);
        fn gen_buffers(n: GLsizei) -> Vec<GLuint>;
        fn gen_renderbuffers(n: GLsizei) -> Vec<GLuint>;
        fn gen_framebuffers(n: GLsizei) -> Vec<GLuint>;
        fn gen_textures(n: GLsizei) -> Vec<GLuint>;
        fn gen_vertex_arrays(n: GLsizei) -> Vec<GLuint>;
        fn gen_vertex_arrays_apple(n: GLsizei) -> Vec<GLuint>;
        fn gen_queries(n: GLsizei) -> Vec<GLuint>;
        fn begin_query(target: GLenum, id: GLuint);
        fn end_query(target: GLenum);
        fn query_counter(id: GLuint, target: GLenum);
        fn get_query_object_iv(id: GLuint, pname: GLenum) -> i32;
        fn get_query_object_uiv(id: GLuint, pname: GLenum) -> u32;
        fn get_query_object_i64v(id: GLuint, pname: GLenum) -> i64;
        fn get_query_object_ui64v(id: GLuint, pname: GLenum) -> u64;
        fn delete_queries(queries: &[GLuint]);
        fn delete_vertex_arrays(vertex_arrays: &[GLuint]);
        fn delete_vertex_arrays_apple(vertex_arrays: &[GLuint]);
        fn delete_buffers(buffers: &[GLuint]);
        fn delete_renderbuffers(renderbuffers: &[GLuint]);
        fn delete_framebuffers(framebuffers: &[GLuint]);
        fn delete_textures(textures: &[GLuint]);
        fn framebuffer_renderbuffer(target: GLenum, attachment: GLenum, renderbuffertarget: GLenum, renderbuffer: GLuint);
        fn renderbuffer_storage(target: GLenum, internalformat: GLenum, width: GLsizei, height: GLsizei);
        fn active_texture(texture: GLenum);
        fn attach_shader(program: GLuint, shader: GLuint);
        fn bind_attrib_location(program: GLuint, index: GLuint, name: &str);
        fn get_uniform_block_index(program: GLuint, name: &str) -> GLuint;
        fn get_uniform_indices(program: GLuint, names: &[&str]) -> Vec<GLuint>;
        fn bind_buffer_base(target: GLenum, index: GLuint, buffer: GLuint);
        fn bind_buffer_range(target: GLenum, index: GLuint, buffer: GLuint, offset: GLintptr, size: GLsizeiptr);
        fn uniform_block_binding(program: GLuint, uniform_block_index: GLuint, uniform_block_binding: GLuint);
        fn bind_buffer(target: GLenum, buffer: GLuint);
        fn bind_vertex_array(vao: GLuint);
        fn bind_vertex_array_apple(vao: GLuint);
        fn bind_renderbuffer(target: GLenum, renderbuffer: GLuint);
        fn bind_framebuffer(target: GLenum, framebuffer: GLuint);
        fn bind_texture(target: GLenum, texture: GLuint);
        fn bind_vertex_buffer(binding_index: GLuint, buffer: GLuint, offset: GLintptr, stride: GLint);
        fn draw_buffers(bufs: &[GLenum]);
        fn tex_image_2d(target: GLenum, level: GLint, internal_format: GLint, width: GLsizei, height: GLsizei, border: GLint, format: GLenum, ty: GLenum, opt_data: Option<&[u8]>);
        fn compressed_tex_image_2d(target: GLenum, level: GLint, internal_format: GLenum, width: GLsizei, height: GLsizei, border: GLint, data: &[u8]);
        fn compressed_tex_sub_image_2d(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, width: GLsizei, height: GLsizei, format: GLenum, data: &[u8]);
        fn tex_image_3d(target: GLenum, level: GLint, internal_format: GLint, width: GLsizei, height: GLsizei, depth: GLsizei, border: GLint, format: GLenum, ty: GLenum, opt_data: Option<&[u8]>);
        fn copy_tex_image_2d(target: GLenum, level: GLint, internal_format: GLenum, x: GLint, y: GLint, width: GLsizei, height: GLsizei, border: GLint);
        fn copy_tex_sub_image_2d(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, x: GLint, y: GLint, width: GLsizei, height: GLsizei);
        fn copy_tex_sub_image_3d(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, zoffset: GLint, x: GLint, y: GLint, width: GLsizei, height: GLsizei);
        fn tex_sub_image_2d(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, width: GLsizei, height: GLsizei, format: GLenum, ty: GLenum, data: &[u8]);
        fn tex_sub_image_2d_pbo(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, width: GLsizei, height: GLsizei, format: GLenum, ty: GLenum, offset: usize);
        fn tex_sub_image_3d(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, zoffset: GLint, width: GLsizei, height: GLsizei, depth: GLsizei, format: GLenum, ty: GLenum, data: &[u8]);
        fn tex_sub_image_3d_pbo(target: GLenum, level: GLint, xoffset: GLint, yoffset: GLint, zoffset: GLint, width: GLsizei, height: GLsizei, depth: GLsizei, format: GLenum, ty: GLenum, offset: usize);
        fn tex_storage_2d(target: GLenum, levels: GLint, internal_format: GLenum, width: GLsizei, height: GLsizei);
        fn tex_storage_3d(target: GLenum, levels: GLint, internal_format: GLenum, width: GLsizei, height: GLsizei, depth: GLsizei);
        fn get_tex_image_into_buffer(target: GLenum, level: GLint, format: GLenum, ty: GLenum, output: &mut [u8]);
        fn invalidate_framebuffer(target: GLenum, attachments: &[GLenum]);
        fn invalidate_sub_framebuffer(target: GLenum, attachments: &[GLenum], xoffset: GLint, yoffset: GLint, width: GLsizei, height: GLsizei);
        fn get_framebuffer_attachment_parameter_iv(target: GLenum, attachment: GLenum, pname: GLenum) -> GLint;
        fn get_renderbuffer_parameter_iv(target: GLenum, pname: GLenum) -> GLint;
        fn get_tex_parameter_iv(target: GLenum, name: GLenum) -> GLint;
        fn get_tex_parameter_fv(target: GLenum, name: GLenum) -> GLfloat;
        fn tex_parameter_i(target: GLenum, pname: GLenum, param: GLint);
        fn tex_parameter_f(target: GLenum, pname: GLenum, param: GLfloat);
        fn framebuffer_texture_2d(target: GLenum, attachment: GLenum, textarget: GLenum, texture: GLuint, level: GLint);
        fn framebuffer_texture_layer(target: GLenum, attachment: GLenum, texture: GLuint, level: GLint, layer: GLint);
        fn blit_framebuffer(src_x0: GLint, src_y0: GLint, src_x1: GLint, src_y1: GLint, dst_x0: GLint, dst_y0: GLint, dst_x1: GLint, dst_y1: GLint, mask: GLbitfield, filter: GLenum);
        fn vertex_attrib_4f(index: GLuint, x: GLfloat, y: GLfloat, z: GLfloat, w: GLfloat);
        fn vertex_attrib_binding(attrib_index: GLuint, binding_index: GLuint);
        fn vertex_attrib_pointer_f32(index: GLuint, size: GLint, normalized: bool, stride: GLsizei, offset: GLuint);
        fn vertex_attrib_pointer(index: GLuint, size: GLint, type_: GLenum, normalized: bool, stride: GLsizei, offset: GLuint);
        fn vertex_attrib_i_pointer(index: GLuint, size: GLint, type_: GLenum, stride: GLsizei, offset: GLuint);
        fn vertex_attrib_divisor(index: GLuint, divisor: GLuint);
        fn vertex_attrib_format(attrib_index: GLuint, size: GLint, type_: GLenum, normalized: bool, relative_offset: GLuint);
        fn vertex_attrib_i_format(attrib_index: GLuint, size: GLint, type_: GLenum, relative_offset: GLuint);
        fn vertex_binding_divisor(binding_index: GLuint, divisor: GLuint);
        fn viewport(x: GLint, y: GLint, width: GLsizei, height: GLsizei);
        fn scissor(x: GLint, y: GLint, width: GLsizei, height: GLsizei);
        fn line_width(width: GLfloat);
        fn use_program(program: GLuint);
        fn validate_program(program: GLuint);
        fn blend_color(r: f32, g: f32, b: f32, a: f32);
        fn blend_func(sfactor: GLenum, dfactor: GLenum);
        fn blend_equation(mode: GLenum);
        fn blend_equation_separate(mode_rgb: GLenum, mode_alpha: GLenum);
        fn color_mask(r: bool, g: bool, b: bool, a: bool);
        fn cull_face(mode: GLenum);
        fn front_face(mode: GLenum);
        fn hint(param_name: GLenum, param_val: GLenum);
        fn is_enabled(cap: GLenum) -> GLboolean;
        fn is_shader(shader: GLuint) -> GLboolean;
        fn is_texture(texture: GLenum) -> GLboolean;
        fn is_framebuffer(framebuffer: GLenum) -> GLboolean;
        fn is_renderbuffer(renderbuffer: GLenum) -> GLboolean;
        fn check_frame_buffer_status(target: GLenum) -> GLenum;
        fn enable_vertex_attrib_array(index: GLuint);
        fn disable_vertex_attrib_array(index: GLuint);
        fn uniform_1f(location: GLint, v0: GLfloat);
        fn uniform_1fv(location: GLint, values: &[f32]);
        fn uniform_1i(location: GLint, v0: GLint);
        fn uniform_1iv(location: GLint, values: &[i32]);
        fn uniform_1ui(location: GLint, v0: GLuint);
        fn uniform_2f(location: GLint, v0: GLfloat, v1: GLfloat);
        fn uniform_2fv(location: GLint, values: &[f32]);
        fn uniform_2i(location: GLint, v0: GLint, v1: GLint);
        fn uniform_2iv(location: GLint, values: &[i32]);
        fn uniform_2ui(location: GLint, v0: GLuint, v1: GLuint);
        fn uniform_3f(location: GLint, v0: GLfloat, v1: GLfloat, v2: GLfloat);
        fn uniform_3fv(location: GLint, values: &[f32]);
        fn uniform_3i(location: GLint, v0: GLint, v1: GLint, v2: GLint);
        fn uniform_3iv(location: GLint, values: &[i32]);
        fn uniform_3ui(location: GLint, v0: GLuint, v1: GLuint, v2: GLuint);
        fn uniform_4f(location: GLint, x: GLfloat, y: GLfloat, z: GLfloat, w: GLfloat);
        fn uniform_4i(location: GLint, x: GLint, y: GLint, z: GLint, w: GLint);
        fn uniform_4iv(location: GLint, values: &[i32]);
        fn uniform_4ui(location: GLint, x: GLuint, y: GLuint, z: GLuint, w: GLuint);
        fn uniform_4fv(location: GLint, values: &[f32]);
        fn uniform_matrix_2fv(location: GLint, transpose: bool, value: &[f32]);
        fn uniform_matrix_3fv(location: GLint, transpose: bool, value: &[f32]);
        fn uniform_matrix_4fv(location: GLint, transpose: bool, value: &[f32]);
        fn depth_range(near: f64, far: f64);
        fn get_active_attrib(program: GLuint, index: GLuint) -> (i32, u32, String);
        fn get_active_uniform(program: GLuint, index: GLuint) -> (i32, u32, String);
        fn get_active_uniforms_iv(program: GLuint, indices: Vec<GLuint>, pname: GLenum) -> Vec<GLint>;
        fn get_active_uniform_block_i(program: GLuint, index: GLuint, pname: GLenum) -> GLint;
        fn get_active_uniform_block_iv(program: GLuint, index: GLuint, pname: GLenum) -> Vec<GLint>;
        fn get_active_uniform_block_name(program: GLuint, index: GLuint) -> String;
        fn get_attrib_location(program: GLuint, name: &str) -> c_int;
        fn get_frag_data_location(program: GLuint, name: &str) -> c_int;
        fn get_uniform_location(program: GLuint, name: &str) -> c_int;
        fn get_program_info_log(program: GLuint) -> String;
        fn get_program_binary(program: GLuint) -> (Vec<u8>, GLenum);
        fn program_binary(program: GLuint, format: GLenum, binary: &[u8]);
        fn program_parameter_i(program: GLuint, pname: GLenum, value: GLint);
        fn get_vertex_attrib_pointer_v(index: GLuint, pname: GLenum) -> GLsizeiptr;
        fn get_buffer_parameter_iv(target: GLuint, pname: GLenum) -> GLint;
        fn get_shader_info_log(shader: GLuint) -> String;
        fn get_string(which: GLenum) -> String;
        fn get_shader_precision_format(shader_type: GLuint, precision_type: GLuint) -> (GLint, GLint, GLint);
        fn compile_shader(shader: GLuint);
        fn create_program() -> GLuint;
        fn delete_program(program: GLuint);
        fn create_shader(shader_type: GLenum) -> GLuint;
        fn delete_shader(shader: GLuint);
        fn detach_shader(program: GLuint, shader: GLuint);
        fn link_program(program: GLuint);
        fn clear_color(r: f32, g: f32, b: f32, a: f32);
        fn clear(buffer_mask: GLbitfield);
        fn clear_depth(depth: f64);
        fn clear_stencil(s: GLint);
        fn flush();
        fn finish();
        fn get_error() -> GLenum;
        fn stencil_mask(mask: GLuint);
        fn stencil_mask_separate(face: GLenum, mask: GLuint);
        fn stencil_func(func: GLenum, ref_: GLint, mask: GLuint);
        fn stencil_func_separate(face: GLenum, func: GLenum, ref_: GLint, mask: GLuint);
        fn stencil_op(sfail: GLenum, dpfail: GLenum, dppass: GLenum);
        fn stencil_op_separate(face: GLenum, sfail: GLenum, dpfail: GLenum, dppass: GLenum);
        fn egl_image_target_texture2d_oes(target: GLenum, image: GLeglImageOES);
        fn egl_image_target_renderbuffer_storage_oes(target: GLenum, image: GLeglImageOES);
        fn generate_mipmap(target: GLenum);
        fn insert_event_marker_ext(message: &str);
        fn push_group_marker_ext(message: &str);
        fn pop_group_marker_ext();
        fn debug_message_insert_khr(source: GLenum, type_: GLenum, id: GLuint, severity: GLenum, message: &str);
        fn push_debug_group_khr(source: GLenum, id: GLuint, message: &str);
        fn pop_debug_group_khr();
        fn fence_sync(condition: GLenum, flags: GLbitfield) -> GLsync;
        fn client_wait_sync(sync: GLsync, flags: GLbitfield, timeout: GLuint64) -> GLenum;
        fn wait_sync(sync: GLsync, flags: GLbitfield, timeout: GLuint64);
        fn delete_sync(sync: GLsync);
        fn texture_range_apple(target: GLenum, data: &[u8]);
        fn gen_fences_apple(n: GLsizei) -> Vec<GLuint>;
        fn delete_fences_apple(fences: &[GLuint]);
        fn set_fence_apple(fence: GLuint);
        fn finish_fence_apple(fence: GLuint);
        fn test_fence_apple(fence: GLuint);
        fn test_object_apple(object: GLenum, name: GLuint) -> GLboolean;
        fn finish_object_apple(object: GLenum, name: GLuint);
        fn blend_barrier_khr();
        fn bind_frag_data_location_indexed(program: GLuint, color_number: GLuint, index: GLuint, name: &str);
        fn get_frag_data_index(program: GLuint, name: &str) -> GLint;
        fn get_debug_messages() -> Vec<DebugMessage>;
        fn provoking_vertex_angle(mode: GLenum);
        fn copy_texture_chromium(source_id: GLuint, source_level: GLint, dest_target: GLenum, dest_id: GLuint, dest_level: GLint, internal_format: GLint, dest_type: GLenum, unpack_flip_y: GLboolean, unpack_premultiply_alpha: GLboolean, unpack_unmultiply_alpha: GLboolean);
        fn copy_sub_texture_chromium(source_id: GLuint, source_level: GLint, dest_target: GLenum, dest_id: GLuint, dest_level: GLint, x_offset: GLint, y_offset: GLint, x: GLint, y: GLint, width: GLsizei, height: GLsizei, unpack_flip_y: GLboolean, unpack_premultiply_alpha: GLboolean, unpack_unmultiply_alpha: GLboolean);
        fn copy_texture_3d_angle(source_id: GLuint, source_level: GLint, dest_target: GLenum, dest_id: GLuint, dest_level: GLint, internal_format: GLint, dest_type: GLenum, unpack_flip_y: GLboolean, unpack_premultiply_alpha: GLboolean, unpack_unmultiply_alpha: GLboolean);
        fn copy_sub_texture_3d_angle(source_id: GLuint, source_level: GLint, dest_target: GLenum, dest_id: GLuint, dest_level: GLint, x_offset: GLint, y_offset: GLint, z_offset: GLint, x: GLint, y: GLint, z: GLint, width: GLsizei, height: GLsizei, depth: GLsizei, unpack_flip_y: GLboolean, unpack_premultiply_alpha: GLboolean, unpack_unmultiply_alpha: GLboolean);
        fn buffer_storage(target: GLenum, size: GLsizeiptr, data: *const GLvoid, flags: GLbitfield);
        fn flush_mapped_buffer_range(target: GLenum, offset: GLintptr, length: GLsizeiptr);
        fn start_tiling_qcom(x: GLuint, y: GLuint, width: GLuint, height: GLuint, preserve_mask: GLbitfield);
        fn end_tiling_qcom(preserve_mask: GLbitfield);
    }

    forward_unsafe! {
        fn read_pixels_into_pbo(x: GLint, y: GLint, width: GLsizei, height: GLsizei, format: GLenum, pixel_type: GLenum);
        fn get_uniform_iv(program: GLuint, location: GLint, result: &mut [GLint]);
        fn get_uniform_fv(program: GLuint, location: GLint, result: &mut [GLfloat]);
        fn copy_image_sub_data(src_name: GLuint, src_target: GLenum, src_level: GLint, src_x: GLint, src_y: GLint, src_z: GLint, dst_name: GLuint, dst_target: GLenum, dst_level: GLint, dst_x: GLint, dst_y: GLint, dst_z: GLint, src_width: GLsizei, src_height: GLsizei, src_depth: GLsizei);
        fn get_integer_v(name: GLenum, result: &mut [GLint]);
        fn get_integer_64v(name: GLenum, result: &mut [GLint64]);
        fn get_integer_iv(name: GLenum, index: GLuint, result: &mut [GLint]);
        fn get_integer_64iv(name: GLenum, index: GLuint, result: &mut [GLint64]);
        fn get_boolean_v(name: GLenum, result: &mut [GLboolean]);
        fn get_float_v(name: GLenum, result: &mut [GLfloat]);
        fn get_program_iv(program: GLuint, pname: GLenum, result: &mut [GLint]);
        fn get_vertex_attrib_iv(index: GLuint, pname: GLenum, result: &mut [GLint]);
        fn get_vertex_attrib_fv(index: GLuint, pname: GLenum, result: &mut [GLfloat]);
        fn get_shader_iv(shader: GLuint, pname: GLenum, result: &mut [GLint]);
    }
}
