//! Any bytes as an ONNX file for the class-label reader (a protobuf walk): never panic, never loop.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = modelgate::model::onnx_class_labels(data);
});
