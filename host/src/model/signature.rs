//! A graph's signature: its inputs and outputs as ONNX Runtime describes them (name, element
//! type, shape). How a model is fed and read ([`super::feed::layout`], [`super::outputs::find`])
//! is decided from it alone, so a signature kept from an earlier run (see [`super::cache`]) decides
//! it the same way without loading ONNX Runtime.

use ort::session::Session;
use ort::value::{Outlet, Shape, SymbolicDimensions, TensorElementType, ValueType};
use serde_json::{json, Value};

/// A graph input or output.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Port {
    name: String,
    dtype: ValueType,
}

impl Port {
    pub fn new(name: impl Into<String>, dtype: ValueType) -> Port {
        Port {
            name: name.into(),
            dtype,
        }
    }

    fn of(o: &Outlet) -> Port {
        Port::new(o.name(), o.dtype().clone())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dtype(&self) -> &ValueType {
        &self.dtype
    }
}

/// A graph's inputs and outputs, in the graph's order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Signature {
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

/// Every element type, by the name [`encode`] writes (its `Debug` form). A type missing here
/// (a newer ONNX Runtime's) is never written: such a signature is not kept.
const ELEMENTS: &[TensorElementType] = {
    use TensorElementType::*;
    &[
        Float32,
        Uint8,
        Int8,
        Uint16,
        Int16,
        Int32,
        Int64,
        String,
        Bool,
        Float16,
        Float64,
        Uint32,
        Uint64,
        Bfloat16,
        Complex64,
        Complex128,
        Float8E4M3FN,
        Float8E4M3FNUZ,
        Float8E5M2,
        Float8E5M2FNUZ,
        Uint4,
        Int4,
        Float4E2M1,
        Uint2,
        Int2,
        Float8E8M0,
        Undefined,
    ]
};

fn element_name(ty: TensorElementType) -> Option<String> {
    ELEMENTS.contains(&ty).then(|| format!("{ty:?}"))
}

fn element(v: &Value) -> Option<TensorElementType> {
    let name = v.as_str()?;
    ELEMENTS.iter().copied().find(|t| format!("{t:?}") == name)
}

fn encode_type(t: &ValueType) -> Option<Value> {
    Some(match t {
        ValueType::Tensor {
            ty,
            shape,
            dimension_symbols,
        } => json!({
            "tensor": element_name(*ty)?,
            "shape": shape.iter().collect::<Vec<_>>(),
            "symbols": dimension_symbols.iter().collect::<Vec<_>>(),
        }),
        ValueType::Sequence(inner) => json!({ "sequence": encode_type(inner)? }),
        ValueType::Map { key, value } => {
            json!({ "map": [element_name(*key)?, element_name(*value)?] })
        }
        ValueType::Optional(inner) => json!({ "optional": encode_type(inner)? }),
    })
}

fn decode_type(v: &Value) -> Option<ValueType> {
    let o = v.as_object()?;
    if let Some(ty) = o.get("tensor") {
        let shape: Vec<i64> = o
            .get("shape")?
            .as_array()?
            .iter()
            .map(Value::as_i64)
            .collect::<Option<_>>()?;
        let symbols: Vec<String> = o
            .get("symbols")?
            .as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<_>>()?;
        return Some(ValueType::Tensor {
            ty: element(ty)?,
            shape: Shape::new(shape),
            dimension_symbols: SymbolicDimensions::new(symbols),
        });
    }
    if let Some(inner) = o.get("sequence") {
        return Some(ValueType::Sequence(Box::new(decode_type(inner)?)));
    }
    if let Some([key, value]) = o.get("map").and_then(Value::as_array).map(Vec::as_slice) {
        return Some(ValueType::Map {
            key: element(key)?,
            value: element(value)?,
        });
    }
    let inner = o.get("optional")?;
    Some(ValueType::Optional(Box::new(decode_type(inner)?)))
}

fn encode_ports(ports: &[Port]) -> Option<Value> {
    ports
        .iter()
        .map(|p| Some(json!({ "name": p.name, "type": encode_type(&p.dtype)? })))
        .collect::<Option<Vec<_>>>()
        .map(Value::Array)
}

fn decode_ports(v: &Value) -> Option<Vec<Port>> {
    v.as_array()?
        .iter()
        .map(|p| {
            Some(Port::new(
                p.get("name")?.as_str()?,
                decode_type(p.get("type")?)?,
            ))
        })
        .collect()
}

impl Signature {
    /// The signature of a loaded session.
    pub fn of(session: &Session) -> Signature {
        Signature {
            inputs: session.inputs().iter().map(Port::of).collect(),
            outputs: session.outputs().iter().map(Port::of).collect(),
        }
    }

    /// As JSON text; `None` for a type this build cannot write back.
    pub fn encode(&self) -> Option<String> {
        let v = json!({
            "inputs": encode_ports(&self.inputs)?,
            "outputs": encode_ports(&self.outputs)?,
        });
        Some(v.to_string())
    }

    /// The signature [`Signature::encode`] wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<Signature> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(Signature {
            inputs: decode_ports(v.get("inputs")?)?,
            outputs: decode_ports(v.get("outputs")?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(ty: TensorElementType, shape: &[i64], symbols: &[&str]) -> ValueType {
        ValueType::Tensor {
            ty,
            shape: Shape::new(shape.iter().copied()),
            dimension_symbols: SymbolicDimensions::new(symbols.iter().map(|s| s.to_string())),
        }
    }

    /// Every kind of type (and every element type) comes back as it was written; text that is
    /// not a signature (or names an unknown element type) is refused, not guessed at.
    #[test]
    fn a_signature_comes_back_as_it_was_written() {
        let mut inputs: Vec<Port> = ELEMENTS
            .iter()
            .enumerate()
            .map(|(i, ty)| Port::new(format!("in{i}"), tensor(*ty, &[-1, i as i64], &["N", ""])))
            .collect();
        inputs.push(Port::new(
            "scalar",
            tensor(TensorElementType::Float64, &[], &[]),
        ));
        let zipmap = ValueType::Sequence(Box::new(ValueType::Map {
            key: TensorElementType::Int64,
            value: TensorElementType::Float32,
        }));
        let outputs = vec![
            Port::new(
                "output_label",
                tensor(TensorElementType::Int64, &[-1], &["N"]),
            ),
            Port::new("output_probability", zipmap),
            Port::new(
                "maybe",
                ValueType::Optional(Box::new(tensor(TensorElementType::String, &[2], &[]))),
            ),
        ];
        let s = Signature { inputs, outputs };
        let text = s.encode().unwrap();
        assert_eq!(Signature::decode(&text), Some(s));
        for bad in [
            "",
            "[]",
            r#"{"inputs": [], "outputs": [{"name": "x", "type": {"tensor": "Float128", "shape": [], "symbols": []}}]}"#,
            r#"{"inputs": [{"name": "x", "type": {"tensor": "Float32", "shape": ["N"], "symbols": []}}], "outputs": []}"#,
            r#"{"inputs": [{"name": "x", "type": {"map": ["Int64"]}}], "outputs": []}"#,
        ] {
            assert_eq!(Signature::decode(bad), None, "{bad}");
        }
    }
}
