use std::convert::Infallible;

use futures_util::stream;
use http_body_util::{BodyExt as _, StreamBody};

use super::*;

/// A body of `chunks`, as a client would send it in frames.
fn frames(chunks: &[&[u8]]) -> impl Body<Data = Bytes, Error = BodyError> {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> =
        chunks.iter().map(|c| Ok(Frame::data(Bytes::copy_from_slice(c)))).collect();
    StreamBody::new(stream::iter(frames)).map_err(|never| match never {})
}

async fn read_all(mut body: Replay) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        out.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    out
}

#[tokio::test]
async fn small_body_stays_in_memory_and_replays() {
    let buffered = Buffered::collect(frames(&[b"hello ", b"world"]), 16).await.unwrap();
    assert_eq!(buffered.len(), 11);
    assert!(!buffered.is_spooled());
    let replay = buffered.replay();
    assert_eq!(replay.size_hint().exact(), Some(11));
    assert_eq!(read_all(replay).await, b"hello world");
    assert_eq!(read_all(buffered.replay()).await, b"hello world", "a retry sends it again");
}

#[tokio::test]
async fn body_past_the_memory_limit_goes_to_a_file() {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (a, b) = big.split_at(5);
    let buffered = Buffered::collect(frames(&[a, b]), 8).await.unwrap();
    assert!(buffered.is_spooled());
    assert_eq!(buffered.len(), big.len() as u64);
    assert_eq!(read_all(buffered.replay()).await, big);
    assert_eq!(read_all(buffered.replay()).await, big, "replays share no file offset");
}

#[tokio::test]
async fn empty_body_has_length_zero() {
    let buffered = Buffered::collect(frames(&[]), 8).await.unwrap();
    assert_eq!(buffered.len(), 0);
    let replay = buffered.replay();
    assert!(replay.is_end_stream());
    assert!(read_all(replay).await.is_empty());
}

#[tokio::test]
async fn errors_of_the_client_body_stop_the_collection() {
    let failing = StreamBody::new(stream::iter(vec![
        Ok(Frame::data(Bytes::from_static(b"abc"))),
        Err(BodyError::TooLarge { limit: 3 }),
    ]));
    let error = Buffered::collect(failing, 1024).await.unwrap_err();
    assert!(matches!(error, BodyError::TooLarge { limit: 3 }), "{error:?}");
}
