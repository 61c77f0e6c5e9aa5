//! The Blobs contract.

use std::time::Duration;

use bytes::Bytes;
use selfcare::ports::blobs::{BlobKey, Retention, bytes_stream, collect};
use sha2::{Digest, Sha256};

use crate::support::BlobFixture;

crate::contract!(blobs:
    a_small_object_reads_back_with_its_content_type,
    a_range_of_an_object_reads_back_cut_where_the_object_ends,
    an_absent_object_reads_as_none,
    a_version_that_is_not_there_reads_as_none,
    an_object_stored_again_is_a_new_version_with_the_same_content,
    a_large_object_is_streamed_in_parts_and_reads_back_whole,
    a_put_replaces_the_object,
    listing_is_by_prefix_in_key_order_and_pages,
    a_presigned_url_downloads_the_object,
    a_presigned_url_uploads_the_object,
    a_kept_object_reads_back_and_carries_its_retention_for_the_lifecycle,
);

fn key(text: &str) -> BlobKey {
    BlobKey::parse(text).unwrap()
}

async fn a_small_object_reads_back_with_its_content_type(f: &BlobFixture) {
    let k = key("tenant-1/exports/usage.csv");
    let info = f
        .blobs
        .put(&k, bytes_stream("a,b\r\n1,2\r\n"), "text/csv")
        .await
        .unwrap();
    assert_eq!(info.size, 10);
    let download = f.blobs.get(&k).await.unwrap().unwrap();
    assert_eq!(download.info.content_type, "text/csv");
    assert_eq!(download.info.size, 10);
    assert_eq!(collect(download.body).await.unwrap(), b"a,b\r\n1,2\r\n");
}

async fn a_range_of_an_object_reads_back_cut_where_the_object_ends(f: &BlobFixture) {
    let k = key("tenant-1/records/block.rec");
    f.blobs
        .put(&k, bytes_stream("0123456789"), "application/octet-stream")
        .await
        .unwrap();
    let range = |start, len| {
        let k = k.clone();
        async move { f.blobs.get_range(&k, start, len).await.unwrap() }
    };
    assert_eq!(range(2, 3).await.as_deref(), Some(&b"234"[..]));
    assert_eq!(range(0, 10).await.as_deref(), Some(&b"0123456789"[..]));
    assert_eq!(
        range(8, 5).await.as_deref(),
        Some(&b"89"[..]),
        "cut at the end"
    );
    assert_eq!(
        range(12, 4).await.as_deref(),
        Some(&b""[..]),
        "past the end"
    );
    assert!(
        f.blobs
            .get_range(&key("tenant-1/records/none.rec"), 0, 4)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_version_that_is_not_there_reads_as_none(f: &BlobFixture) {
    f.blobs
        .put(&key("usage/v.csv"), bytes_stream("a"), "text/csv")
        .await
        .unwrap();
    for k in ["usage/v.csv", "usage/none.csv"] {
        assert!(
            f.blobs
                .get_version(&key(k), "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
                .await
                .unwrap()
                .is_none(),
            "{k}"
        );
    }
}

async fn an_object_stored_again_is_a_new_version_with_the_same_content(f: &BlobFixture) {
    let k = key("tenant-1/usage/calls+data.csv");
    let first = f
        .blobs
        .put(&k, bytes_stream("id,qty\r\n1,2\r\n"), "text/csv")
        .await
        .unwrap();
    let again = f
        .blobs
        .store_again(&k, first.version.as_deref())
        .await
        .unwrap()
        .expect("the version is there");
    assert_eq!(again.size, first.size);
    assert_eq!(again.content_type, "text/csv");
    assert!(again.version.is_some() && again.version != first.version);
    let version = again.version.clone().unwrap();
    let download = f.blobs.get_version(&k, &version).await.unwrap().unwrap();
    assert_eq!(download.info.content_type, "text/csv");
    assert_eq!(collect(download.body).await.unwrap(), b"id,qty\r\n1,2\r\n");
    // The current one, when no version is named; nothing when the object is gone.
    let third = f.blobs.store_again(&k, None).await.unwrap().unwrap();
    assert_ne!(third.version, again.version);
    // A version no longer the current one is not stored again over the newer object.
    assert!(
        f.blobs
            .store_again(&k, first.version.as_deref())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.blobs
            .store_again(&key("tenant-1/usage/none.csv"), None)
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_absent_object_reads_as_none(f: &BlobFixture) {
    assert!(
        f.blobs
            .get(&key("nothing/here.csv"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_large_object_is_streamed_in_parts_and_reads_back_whole(f: &BlobFixture) {
    // 17 MiB in 1 MiB chunks: three parts on S3, never one buffer of the whole.
    let chunk = |i: u8| Bytes::from(vec![i; 1024 * 1024]);
    let chunks: Vec<std::io::Result<Bytes>> = (0..17u8).map(|i| Ok(chunk(i))).collect();
    let mut expected = Sha256::new();
    for i in 0..17u8 {
        expected.update(chunk(i));
    }
    let k = key("tenant-1/exports/big.bin");
    let body = Box::pin(futures::stream::iter(chunks));
    let info = f
        .blobs
        .put(&k, body, "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(info.size, 17 * 1024 * 1024);
    let download = f.blobs.get(&k).await.unwrap().unwrap();
    let mut actual = Sha256::new();
    let mut body = download.body;
    use futures::StreamExt;
    let mut size = 0;
    while let Some(piece) = body.next().await {
        let piece = piece.unwrap();
        size += piece.len();
        actual.update(&piece);
    }
    assert_eq!(size, 17 * 1024 * 1024);
    assert_eq!(actual.finalize(), expected.finalize());
}

async fn a_put_replaces_the_object(f: &BlobFixture) {
    let k = key("t/replace.txt");
    f.blobs
        .put(&k, bytes_stream("first"), "text/plain")
        .await
        .unwrap();
    f.blobs
        .put(&k, bytes_stream("second"), "text/plain")
        .await
        .unwrap();
    let download = f.blobs.get(&k).await.unwrap().unwrap();
    assert_eq!(collect(download.body).await.unwrap(), b"second");
}

async fn listing_is_by_prefix_in_key_order_and_pages(f: &BlobFixture) {
    for name in [
        "t1/b.csv",
        "t1/a.csv",
        "t1/sub/c.csv",
        "t2/a.csv",
        "t10/a.csv",
    ] {
        f.blobs
            .put(&key(name), bytes_stream("x"), "text/csv")
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let listing = f.blobs.list("t1/", after, 2).await.unwrap();
        assert!(listing.blobs.len() <= 2);
        seen.extend(listing.blobs.iter().map(|b| b.key.as_str().to_owned()));
        match listing.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["t1/a.csv", "t1/b.csv", "t1/sub/c.csv"]);
}

async fn a_presigned_url_downloads_the_object(f: &BlobFixture) {
    let k = key("t1/exports/invoice-42.pdf");
    f.blobs
        .put(&k, bytes_stream("%PDF-1.7 invoice"), "application/pdf")
        .await
        .unwrap();
    let url = f
        .blobs
        .presign_get(&k, Duration::from_secs(300))
        .await
        .unwrap();
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"invoice-42.pdf\"",
        "saved under its name"
    );
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        b"%PDF-1.7 invoice"
    );
    if f.embedded {
        // moto serves expired URLs; the embedded store must not.
        f.clock.advance(time::Duration::seconds(301));
        assert_eq!(reqwest::get(&url).await.unwrap().status(), 403);
        let tampered = url.replace("invoice-42", "invoice-43");
        assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);
    } else {
        assert!(url.contains("X-Amz-Expires=300"), "{url}");
    }
}

async fn a_presigned_url_uploads_the_object(f: &BlobFixture) {
    let k = key("t1/usage/nov.csv");
    let url = f
        .blobs
        .presign_put(&k, Duration::from_secs(300), "text/csv")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let body = "record_id,service,type,started_at,destination,quantity\r\n";
    let response = client
        .put(&url)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let stored = f.blobs.get(&k).await.unwrap().unwrap();
    assert_eq!(stored.info.content_type, "text/csv");
    assert_eq!(collect(stored.body).await.unwrap(), body.as_bytes());
    // moto does not check signatures; S3 and the embedded store do.
    if f.embedded {
        // An upload URL does not download, nor store under another key.
        let elsewhere = url.replace("nov.csv", "dec.csv");
        let refused = client
            .put(&elsewhere)
            .header("content-type", "text/csv")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        assert!(
            f.blobs
                .get(&key("t1/usage/dec.csv"))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(reqwest::get(&url).await.unwrap().status(), 403);
        f.clock.advance(time::Duration::seconds(301));
        let late = client.put(&url).body("late").send().await.unwrap();
        assert_eq!(late.status(), 403);
    } else {
        assert!(url.contains("X-Amz-Expires=300"), "{url}");
    }
}

#[test]
fn keys_that_could_escape_their_folder_are_refused() {
    for bad in [
        "",
        "../etc/passwd",
        "a//b",
        "a/./b",
        "/abs",
        "a/b/",
        "sp ace",
        "a\\b",
    ] {
        assert!(BlobKey::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(BlobKey::parse("tenant-1/usage/2026-11=cdr.csv").is_ok());
}

async fn a_kept_object_reads_back_and_carries_its_retention_for_the_lifecycle(f: &BlobFixture) {
    let small = key("tenant-1/invoices/100001/01J/invoice.pdf");
    f.blobs
        .put_kept(
            &small,
            bytes_stream("%PDF-1.7"),
            "application/pdf",
            Retention::Years(7),
        )
        .await
        .unwrap();
    // Large enough to go in parts.
    let large = key("tenant-1/usage-exports/100001/e1.csv");
    let body = vec![b'x'; selfcare_aws::s3::PART_SIZE + 10];
    f.blobs
        .put_kept(&large, bytes_stream(body), "text/csv", Retention::Temporary)
        .await
        .unwrap();
    let read = f.blobs.get(&small).await.unwrap().unwrap();
    assert_eq!(read.info.content_type, "application/pdf");
    assert_eq!(collect(read.body).await.unwrap(), b"%PDF-1.7");
    let read = f.blobs.get(&large).await.unwrap().unwrap();
    assert_eq!(read.info.size, selfcare_aws::s3::PART_SIZE as u64 + 10);
    // S3's lifecycle rules act on the tag (the local buckets keep everything).
    if let Some((client, bucket)) = &f.s3 {
        for (k, expected) in [(&small, "years-7"), (&large, "temporary")] {
            let tags = client
                .get_object_tagging()
                .bucket(bucket)
                .key(k.as_str())
                .send()
                .await
                .unwrap();
            let tag: Vec<(&str, &str)> = tags
                .tag_set()
                .iter()
                .map(|t| (t.key(), t.value()))
                .collect();
            assert_eq!(tag, [("selfcare-keep", expected)], "{k}");
        }
    }
}
