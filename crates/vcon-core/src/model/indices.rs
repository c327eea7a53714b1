//! Index-valued members: [`IndexOrList`] (UnsignedInt | UnsignedInt[]) and
//! [`DialogParties`] (the dialog `parties` member, single- or multi-channel).

use serde_json::Value;

use super::error::ModelError;
use super::json::{JsonValue, Path};

/// An UnsignedInt or an array of them, as in `transfer_target`, `original`,
/// analysis `dialog` and one channel of a multi-channel `parties`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexOrList {
    /// One index.
    One(u64),
    /// Several indices (possibly none).
    List(Vec<u64>),
}

impl IndexOrList {
    /// The indices, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let (one, list) = match self {
            Self::One(i) => (Some(*i), &[][..]),
            Self::List(l) => (None, l.as_slice()),
        };
        one.into_iter().chain(list.iter().copied())
    }

    /// The indices as a vector.
    pub fn to_vec(&self) -> Vec<u64> {
        self.iter().collect()
    }

    /// Whether `index` is among the indices.
    pub fn contains(&self, index: u64) -> bool {
        self.iter().any(|i| i == index)
    }

    /// How many indices there are.
    pub fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::List(l) => l.len(),
        }
    }

    /// Whether there are no indices (an empty array).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<u64> for IndexOrList {
    fn from(index: u64) -> Self {
        Self::One(index)
    }
}

impl From<Vec<u64>> for IndexOrList {
    fn from(list: Vec<u64>) -> Self {
        Self::List(list)
    }
}

impl serde::Serialize for IndexOrList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(i) => serializer.serialize_u64(*i),
            Self::List(l) => l.serialize(serializer),
        }
    }
}

impl JsonValue for IndexOrList {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Array(_) => Vec::<u64>::from_json(value, at).map(Self::List),
            Value::Number(_) => u64::from_json(value, at).map(Self::One),
            other => Err(at.wrong_type("a non-negative integer or an array of them", &other)),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Self::One(i) => Value::from(*i),
            Self::List(l) => l.to_json(),
        }
    }
}

/// The dialog `parties` member (core-03 §Dialog/parties).
///
/// An array of plain integers reads as [`DialogParties::List`] (single
/// channel, all parties mixed); an array that holds a nested array or `null`
/// reads as [`DialogParties::Channels`], one element per channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DialogParties {
    /// One party.
    One(u64),
    /// All parties of a single-channel dialog; the first is the originator.
    List(Vec<u64>),
    /// One element per channel; `None` (JSON `null`) marks an unused channel.
    Channels(Vec<Option<IndexOrList>>),
}

impl DialogParties {
    /// Every party index, in the order written (channels flattened).
    pub fn indices(&self) -> Vec<u64> {
        match self {
            Self::One(i) => vec![*i],
            Self::List(l) => l.clone(),
            Self::Channels(chs) => chs.iter().flatten().flat_map(IndexOrList::iter).collect(),
        }
    }

    /// The first party written, which core-03 treats as the originator.
    pub fn first(&self) -> Option<u64> {
        match self {
            Self::One(i) => Some(*i),
            Self::List(l) => l.first().copied(),
            Self::Channels(chs) => chs.iter().flatten().flat_map(IndexOrList::iter).next(),
        }
    }

    /// Whether `index` is one of the parties.
    pub fn contains(&self, index: u64) -> bool {
        self.indices().contains(&index)
    }

    /// Whether this is the multi-channel form.
    pub fn is_multi_channel(&self) -> bool {
        matches!(self, Self::Channels(_))
    }
}

impl From<u64> for DialogParties {
    fn from(index: u64) -> Self {
        Self::One(index)
    }
}

impl From<Vec<u64>> for DialogParties {
    fn from(list: Vec<u64>) -> Self {
        Self::List(list)
    }
}

impl serde::Serialize for DialogParties {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(i) => serializer.serialize_u64(*i),
            Self::List(l) => l.serialize(serializer),
            Self::Channels(chs) => chs.serialize(serializer),
        }
    }
}

const PARTIES_EXPECTED: &str = "a party index, an array of them, or an array of channels";

impl JsonValue for DialogParties {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Number(_) => u64::from_json(value, at).map(Self::One),
            Value::Array(items) => {
                if items.iter().all(Value::is_number) {
                    return Vec::<u64>::from_json(Value::Array(items), at).map(Self::List);
                }
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Null => Ok(None),
                        Value::Number(_) | Value::Array(_) => {
                            IndexOrList::from_json(v, &at.index(i)).map(Some)
                        }
                        other => Err(at
                            .index(i)
                            .wrong_type("a party index, an array of them, or null", &other)),
                    })
                    .collect::<Result<_, _>>()
                    .map(Self::Channels)
            }
            other => Err(at.wrong_type(PARTIES_EXPECTED, &other)),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Self::One(i) => Value::from(*i),
            Self::List(l) => l.to_json(),
            Self::Channels(chs) => Value::Array(
                chs.iter()
                    .map(|c| c.as_ref().map_or(Value::Null, IndexOrList::to_json))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parties(v: Value) -> Result<DialogParties, ModelError> {
        DialogParties::from_json(v, &Path::Root("/dialog/0/parties"))
    }

    #[test]
    fn shapes() {
        assert_eq!(parties(json!(1)).unwrap(), DialogParties::One(1));
        assert_eq!(
            parties(json!([0, 1])).unwrap(),
            DialogParties::List(vec![0, 1])
        );
        let multi = parties(json!([[0, 2], 1, null])).unwrap();
        assert_eq!(
            multi,
            DialogParties::Channels(vec![
                Some(IndexOrList::List(vec![0, 2])),
                Some(IndexOrList::One(1)),
                None
            ])
        );
        assert_eq!(multi.indices(), [0, 2, 1]);
        assert_eq!(multi.first(), Some(0));
        assert!(multi.contains(2));
        assert_eq!(multi.to_json(), json!([[0, 2], 1, null]));
        assert_eq!(parties(json!([])).unwrap().to_json(), json!([]));
    }

    #[test]
    fn errors_name_the_element() {
        let e = parties(json!([0, -1])).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/parties/1"));
        let e = parties(json!([[0, "x"], null])).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/parties/0/1"));
        let e = parties(json!([null, {}])).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/parties/1"));
        let e = parties(json!("0")).unwrap_err();
        assert!(e.to_string().contains("found a string"), "{e}");
    }

    #[test]
    fn index_or_list() {
        let v = IndexOrList::from_json(json!([3, 4]), &Path::Root("")).unwrap();
        assert_eq!(v.to_vec(), [3, 4]);
        assert!(v.contains(4));
        assert_eq!(IndexOrList::from(7).iter().collect::<Vec<_>>(), [7]);
        assert!(IndexOrList::List(vec![]).is_empty());
        assert!(IndexOrList::from_json(json!(1.5), &Path::Root("")).is_err());
    }
}
