//! Wycheproof AES-GCM vectors (256-bit keys, 96-bit nonces, 128-bit tags) through the crate's own
//! AES-GCM primitive, `harim_vault::aead::Cipher`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

use harim_vault::aead::Cipher;
use wycheproof::TestResult;
use wycheproof::aead::{TestName, TestSet};

#[test]
fn wycheproof_aes_256_gcm_vectors_pass_through_our_primitive() {
    let set = TestSet::load(TestName::AesGcm).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            continue;
        }
        for t in &group.tests {
            let key: [u8; 32] = t.key[..].try_into().unwrap();
            let nonce: [u8; 12] = t.nonce[..].try_into().unwrap();
            let cipher = Cipher::new(&key);
            let mut ct_tag = t.ct.to_vec();
            ct_tag.extend_from_slice(&t.tag);
            let opened = cipher.open(&nonce, &t.aad, &ct_tag);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    let sealed = cipher.seal(&nonce, &t.aad, &t.pt).unwrap();
                    assert_eq!(sealed, ct_tag, "tc {} seal: {}", t.tc_id, t.comment);
                    assert_eq!(
                        &opened.unwrap()[..],
                        &t.pt[..],
                        "tc {} open: {}",
                        t.tc_id,
                        t.comment
                    );
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(opened.is_err(), "tc {} must fail: {}", t.tc_id, t.comment);
                    invalid += 1;
                }
            }
        }
    }
    assert!(valid > 20, "only {valid} valid vectors ran");
    assert!(invalid > 5, "only {invalid} invalid vectors ran");
}
