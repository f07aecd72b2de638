// Package arcatest is test support only: what the end-to-end suites
// (test/e2e, test/hostile) share to run the real arca binary — building it
// once, starting, stopping and killing `arca serve` with its output kept,
// fresh PostgreSQL schemas and S3 buckets, and generated or stalling
// request bodies. Nothing outside test/ may import it.
package arcatest
