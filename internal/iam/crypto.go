package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the size of the secret-encryption key (AES-256).
const KeySize = 32

// DeriveKey derives the secret-encryption key from the server's token
// signing key with HKDF-SHA256 (RFC 5869, no salt, info "arca iam
// secrets"), so every node that shares the token key can decrypt the
// secrets another node stored, while the two keys stay independent.
func DeriveKey(tokenKey []byte) []byte { return hkdf32(tokenKey, []byte("arca iam secrets")) }

// hkdf32 is HKDF-SHA256 with no salt, producing 32 bytes (one block).
func hkdf32(ikm, info []byte) []byte {
	// Extract: PRK = HMAC-SHA256(salt = 32 zero bytes, IKM).
	ext := hmac.New(sha256.New, make([]byte, sha256.Size))
	ext.Write(ikm)
	prk := ext.Sum(nil)
	// Expand: T(1) = HMAC-SHA256(PRK, info | 0x01) is the whole output.
	exp := hmac.New(sha256.New, prk)
	exp.Write(info)
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

// sealer encrypts access-key secrets with AES-256-GCM; the random 12-byte
// nonce is prepended to the ciphertext. The access key id is bound as
// additional data, so a ciphertext cannot be moved to another key's row.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("iam: the secret-encryption key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(accessKeyID, secret string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(secret), []byte(accessKeyID)), nil
}

var errUndecryptable = errors.New("iam: the stored secret cannot be decrypted (was the token key changed?)")

func (s *sealer) open(accessKeyID string, ciphertext []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(ciphertext) < n+s.aead.Overhead() {
		return "", errUndecryptable
	}
	plain, err := s.aead.Open(nil, ciphertext[:n], ciphertext[n:], []byte(accessKeyID))
	if err != nil {
		return "", errUndecryptable
	}
	return string(plain), nil
}
