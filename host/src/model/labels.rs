//! Class labels read from an ONNX-ML classifier node with a 60-line protobuf walker (no protobuf
//! library).

/// Reads the class labels of the last ONNX-ML classifier node (`classlabels_ints`,
/// `classlabels_int64s` or `classlabels_strings`) from a serialized ONNX model, without a protobuf library.
pub fn onnx_class_labels(bytes: &[u8]) -> Option<Vec<String>> {
    // ModelProto.graph = 7; GraphProto.node = 1; NodeProto.attribute = 5;
    // AttributeProto.name = 1, ints = 8, strings = 9.
    let graph = pb::fields(bytes)
        .find(|(n, _)| *n == 7)
        .and_then(|(_, v)| v.bytes())?;
    let mut found = None;
    for node in pb::fields(graph)
        .filter(|(n, _)| *n == 1)
        .filter_map(|(_, v)| v.bytes())
    {
        for attr in pb::fields(node)
            .filter(|(n, _)| *n == 5)
            .filter_map(|(_, v)| v.bytes())
        {
            let name = pb::fields(attr)
                .find(|(n, _)| *n == 1)
                .and_then(|(_, v)| v.bytes());
            match name {
                // LinearClassifier / SVMClassifier say `classlabels_ints`, TreeEnsembleClassifier
                // `classlabels_int64s`.
                Some(b"classlabels_ints" | b"classlabels_int64s") => {
                    let mut labels = Vec::new();
                    for (n, v) in pb::fields(attr) {
                        match (n, v) {
                            (8, pb::Value::Varint(x)) => labels.push((x as i64).to_string()),
                            (8, pb::Value::Bytes(packed)) => {
                                labels.extend(pb::varints(packed).map(|x| (x as i64).to_string()))
                            }
                            _ => {}
                        }
                    }
                    found = Some(labels);
                }
                Some(b"classlabels_strings") => {
                    let labels = pb::fields(attr)
                        .filter(|(n, _)| *n == 9)
                        .filter_map(|(_, v)| {
                            v.bytes().map(|b| String::from_utf8_lossy(b).into_owned())
                        })
                        .collect();
                    found = Some(labels);
                }
                _ => {}
            }
        }
    }
    found.filter(|l: &Vec<String>| !l.is_empty())
}

/// A minimal protobuf wire-format reader (enough to walk an ONNX graph).
mod pb {
    pub enum Value<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    impl<'a> Value<'a> {
        pub fn bytes(self) -> Option<&'a [u8]> {
            match self {
                Value::Bytes(b) => Some(b),
                _ => None,
            }
        }
    }

    fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*pos)?;
            *pos += 1;
            x |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(x);
            }
        }
        None
    }

    /// Iterates (field number, value) pairs; stops at the first malformed byte.
    pub fn fields(b: &[u8]) -> impl Iterator<Item = (u64, Value<'_>)> {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos >= b.len() {
                return None;
            }
            let key = varint(b, &mut pos)?;
            let v = match key & 7 {
                0 => Value::Varint(varint(b, &mut pos)?),
                1 => {
                    pos = pos.checked_add(8).filter(|p| *p <= b.len())?;
                    Value::Fixed
                }
                2 => {
                    let len = usize::try_from(varint(b, &mut pos)?).ok()?;
                    let end = pos.checked_add(len).filter(|e| *e <= b.len())?;
                    let s = &b[pos..end];
                    pos = end;
                    Value::Bytes(s)
                }
                5 => {
                    pos = pos.checked_add(4).filter(|p| *p <= b.len())?;
                    Value::Fixed
                }
                _ => return None,
            };
            Some((key >> 3, v))
        })
    }

    /// Iterates packed varints.
    pub fn varints(b: &[u8]) -> impl Iterator<Item = u64> + '_ {
        let mut pos = 0usize;
        std::iter::from_fn(move || {
            if pos < b.len() {
                varint(b, &mut pos)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn field_bytes(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![((n << 3) | 2) as u8, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn reads_class_labels_from_a_hand_built_graph() {
        let mut attr = field_bytes(1, b"classlabels_ints");
        attr.extend(field_bytes(8, &[0, 1, 7]));
        let node = field_bytes(5, &attr);
        let graph = field_bytes(1, &node);
        let model = field_bytes(7, &graph);
        assert_eq!(
            onnx_class_labels(&model),
            Some(vec!["0".into(), "1".into(), "7".into()])
        );
        assert_eq!(onnx_class_labels(b"\xff\xff"), None);
    }

    #[test]
    fn reads_class_labels_of_the_example_models() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/breast-cancer/models");
        for (file, op) in [
            ("candidate.onnx", "LinearClassifier"),
            ("baseline.onnx", "TreeEnsembleClassifier"),
        ] {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            assert!(
                bytes.windows(op.len()).any(|w| w == op.as_bytes()),
                "{file} holds a {op}"
            );
            assert_eq!(
                onnx_class_labels(&bytes),
                Some(vec!["0".to_string(), "1".to_string()]),
                "{file}"
            );
        }
    }
}
