// Package bench measures arca's data plane: GetPackageVersionAsset and
// PublishPackageVersion. The in-process Go benchmarks live in
// asset_bench_test.go; the comparison with nginx is bench/run.sh, driven by
// bench/cmd/benchctl. See bench/README.md.
package bench
