package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate valid until notAfter and
// its key.
func writeSelfSigned(t *testing.T, certFile, keyFile string, serial int64, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func served(t *testing.T, c *certSource) int64 {
	t.Helper()
	cert, err := c.getCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cert.Leaf.SerialNumber.Int64()
}

// Reload swaps in a good pair and refuses a bad one, keeping the current.
func TestCertSourceReload(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	soon := time.Now().Add(24 * time.Hour)
	writeSelfSigned(t, cf, kf, 1, soon)
	c, err := newCertSource(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	if served(t, c) != 1 || !c.Expires().Equal(soon.Truncate(time.Second)) {
		t.Fatalf("serving %d until %v", served(t, c), c.Expires())
	}
	writeSelfSigned(t, cf, kf, 2, soon)
	if err := c.Reload(); err != nil || served(t, c) != 2 {
		t.Fatalf("reload of a good pair: %v, serving %d", err, served(t, c))
	}

	other := filepath.Join(dir, "other")
	for name, setup := range map[string]func(){
		"garbage":   func() { _ = os.WriteFile(cf, []byte("junk"), 0o600) },
		"missing":   func() { _ = os.Remove(cf) },
		"wrong key": func() { writeSelfSigned(t, cf, other, 3, soon) },
		"expired":   func() { writeSelfSigned(t, cf, kf, 4, time.Now().Add(-time.Minute)) },
		"empty key": func() { writeSelfSigned(t, cf, kf, 5, soon); _ = os.WriteFile(kf, nil, 0o600) },
		"key as pem": func() {
			writeSelfSigned(t, other, kf, 6, soon)
			_ = os.WriteFile(cf, []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), 0o600)
		},
	} {
		setup()
		err := c.Reload()
		if err == nil || !strings.Contains(err.Error(), "TLS certificate") {
			t.Errorf("%s: Reload = %v, want an error naming the TLS certificate", name, err)
		}
		if got := served(t, c); got != 2 {
			t.Errorf("%s: serving %d after a refused reload, want 2", name, got)
		}
	}
	if _, err := newCertSource(filepath.Join(dir, "none"), kf); err == nil {
		t.Fatal("newCertSource of a missing file succeeded")
	}
}
