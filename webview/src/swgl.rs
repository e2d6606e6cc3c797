//! A rendering context on SWGL, WebRender's own software rasteriser, for
//! views that would otherwise render on Mesa's llvmpipe.
//!
//! Servo's painter asks its `RenderingContext` only for a gleam GL (and to
//! make it current, size it and present it); SWGL implements gleam's `Gl`,
//! and WebRender recognises it at run time ("Software WebRender") and takes
//! its software paths: no shader compiled at run time, no libLLVM, no Mesa
//! driver in the process. Its shaders are C++, built with the crate.
//!
//! Frames stay in SWGL's default framebuffer; the view reads each one into
//! its own buffer and hands it to the frame callback, as for any software
//! view.
//!
//! SWGL keeps one current context per process, not per thread; every view
//! and Servo's painter run on the engine's thread, and every entry point
//! here makes this context current before it touches GL.

use std::cell::{Cell, OnceCell};
use std::ffi::{c_char, c_void, CStr};
use std::rc::Rc;
use std::sync::Arc;

use dpi::PhysicalSize;
use servo::{DeviceIntRect, RenderingContext, RgbaImage};

use crate::swgl_gl::SwglGl;

extern "C" {
    // SWGL's C entry points (the crate links them); glow's constructor
    // needs only these three.
    fn GetString(name: u32) -> *const c_char;
    fn GetStringi(name: u32, index: u32) -> *const c_char;
    fn GetIntegerv(pname: u32, params: *mut i32);
}

pub struct SwglRenderingContext {
    context: swgl::Context,
    gl: Rc<dyn gleam::gl::Gl>,
    size: Cell<PhysicalSize<u32>>,
    glow: OnceCell<Arc<glow::Context>>,
}

impl SwglRenderingContext {
    pub fn new(size: PhysicalSize<u32>) -> Result<Self, String> {
        if size.width == 0 || size.height == 0 || size.width > 16384 || size.height > 16384 {
            return Err(format!("bad size {}x{}", size.width, size.height));
        }
        let context = swgl::Context::create();
        context.make_current();
        // A null buffer: SWGL allocates the color and depth buffers.
        context.init_default_framebuffer(
            0,
            0,
            size.width as i32,
            size.height as i32,
            0,
            std::ptr::null_mut(),
        );
        Ok(Self {
            context,
            gl: Rc::new(SwglGl::new(context)),
            size: Cell::new(size),
            glow: OnceCell::new(),
        })
    }
}

impl Drop for SwglRenderingContext {
    fn drop(&mut self) {
        self.context.make_current();
        self.context.destroy();
    }
}

impl RenderingContext for SwglRenderingContext {
    fn prepare_for_rendering(&self) {
        use gleam::gl::Gl;
        self.context.make_current();
        self.context.bind_framebuffer(gleam::gl::FRAMEBUFFER, 0);
    }

    fn read_to_image(&self, source_rectangle: DeviceIntRect) -> Option<RgbaImage> {
        use gleam::gl::Gl;
        self.context.make_current();
        let size = self.size.get();
        let x = source_rectangle.min.x.max(0);
        let y = source_rectangle.min.y.max(0);
        let width = source_rectangle.width().min(size.width as i32 - x);
        let height = source_rectangle.height().min(size.height as i32 - y);
        if width <= 0 || height <= 0 {
            return None;
        }
        self.context
            .bind_framebuffer(gleam::gl::READ_FRAMEBUFFER, 0);
        let mut pixels = self.context.read_pixels(
            x,
            y,
            width,
            height,
            gleam::gl::RGBA,
            gleam::gl::UNSIGNED_BYTE,
        );
        // GL's rows run bottom to top.
        let stride = width as usize * 4;
        let rows = height as usize;
        for row in 0..rows / 2 {
            let (top, bottom) = pixels.split_at_mut((rows - 1 - row) * stride);
            top[row * stride..(row + 1) * stride].swap_with_slice(&mut bottom[..stride]);
        }
        RgbaImage::from_raw(width as u32, height as u32, pixels)
    }

    fn size(&self) -> PhysicalSize<u32> {
        self.size.get()
    }

    fn resize(&self, size: PhysicalSize<u32>) {
        if size.width == 0 || size.height == 0 || size == self.size.get() {
            return;
        }
        self.context.make_current();
        self.context.init_default_framebuffer(
            0,
            0,
            size.width as i32,
            size.height as i32,
            0,
            std::ptr::null_mut(),
        );
        self.size.set(size);
    }

    fn present(&self) {
        // The frame is read from the default framebuffer; SWGL draws in
        // place, so there is nothing to swap. Finish any deferred clear.
        use gleam::gl::Gl;
        self.context.make_current();
        self.context.finish();
    }

    fn make_current(&self) -> Result<(), surfman::Error> {
        self.context.make_current();
        Ok(())
    }

    fn gleam_gl_api(&self) -> Rc<dyn gleam::gl::Gl> {
        self.gl.clone()
    }

    /// Servo 0.7 asks for glow only for WebGL and offscreen contexts, which
    /// this engine does not build; still a working one over SWGL's queries.
    fn glow_gl_api(&self) -> Arc<glow::Context> {
        self.glow
            .get_or_init(|| {
                self.context.make_current();
                // SAFETY: each pointer is a C function of the signature glow
                // expects, and the context is current; the others are null,
                // which glow reports as unloaded.
                let context = unsafe {
                    glow::Context::from_loader_function_cstr(|name: &CStr| match name.to_bytes() {
                        b"glGetString" => GetString as *const c_void,
                        b"glGetStringi" => GetStringi as *const c_void,
                        b"glGetIntegerv" => GetIntegerv as *const c_void,
                        _ => std::ptr::null(),
                    })
                };
                Arc::new(context)
            })
            .clone()
    }
}
