// Command benchctl drives a running arca for bench/run.sh with the real
// aws-sdk-go-v2 CodeArtifact client. It prints its results as key=value
// pairs on one line (easy to parse from a shell) unless noted.
//
// Usage:
//
//	benchctl setup        [common flags]
//	    create the domain and repository (existing ones are kept)
//	benchctl publish      [common flags] -file F [-version V] [-asset NAME] [-sha256 HEX]
//	    set up, then publish F as one asset of a new version, streaming it from
//	    disk; prints bytes= seconds= mbps= (MB = 10^6 bytes; the timer covers
//	    the PublishPackageVersion call only, not hashing the file beforehand)
//	benchctl presign      [common flags] -version V -asset NAME [-expires 1h]
//	    print a presigned GetPackageVersionAsset URL (for wrk and curl)
//	benchctl publish-load [common flags] -file F [-c 8] [-d 10s] [-vary=true]
//	    publish F (4 KiB) as new versions with c concurrent workers for d and
//	    print publishes= errors= seconds= rate= p50_ms= p99_ms=; with -vary each
//	    publish writes its version name (unique: the prefix is random per run)
//	    over the first 32 bytes, so every publish stores a new blob
//	benchctl npm-token    [common flags]
//	    print token= (an authorization token for the domain) and registry=
//	    (the repository's npm endpoint)
//	benchctl npm-user     -registry URL [-user U] [-password P]
//	    add a user to an npm registry that allows it (Verdaccio) and print its token
//	benchctl npm-seed     -registry URL -token T [-name N] [-versions K] [-size S] [-seed X]
//	    publish K versions of N as npm publish does, each tarball holding S
//	    bytes derived from X (same seed, same bytes on every registry)
//	benchctl pypi-token   [common flags]
//	    print token= and repository= (the repository's PyPI endpoint)
//	benchctl pypi-seed    -repository URL -token T [-name N] [-versions K]
//	    upload K versions 1.0 … 1.(K-1) of project N, one wheel each, as
//	    twine does
//	benchctl maven-token  [common flags]
//	    print token= and repository= (the repository's Maven endpoint)
//	benchctl maven-seed   [-repository URL -token T] [-dir D] [-versions K | -tree N] [-size S] [-seed X]
//	    publish K versions of one artifact (or a dependency tree of N
//	    artifacts) as mvn deploy does, and write the same files under D in
//	    the Maven repository layout (without maven-metadata.xml)
//	benchctl groups       [common flags] [-n 1000] [-c 8] [-npm NAME]
//	    create -n package groups in the domain (chains covering the npm package
//	    NAME and the generic package, then generated ones); prints groups= seconds=
//	benchctl ui-seed      -registry URL -token T [-n 10000] [-c 4] [-prefix P] [-size S]
//	    publish n npm packages PREFIX-00000… (version 1.0.0 each) as npm
//	    publish does, with c concurrent publishers; prints published= seconds=
//	benchctl freeport
//	    print a free TCP port on 127.0.0.1 (for nginx)
//	benchctl procstat     -pid P
//	    print vmhwm_kib= (lifetime peak RSS) vmrss_kib= (current RSS) and
//	    cpu_s= (user+system CPU seconds used so far) of process P
//	benchctl cpusum       -comm NAME
//	    print cpu_s= procs=: CPU seconds used so far by every process named
//	    NAME, including its reaped children (e.g. all of PostgreSQL)
//	benchctl pg-schema    -dsn URL (-create NAME | -drop NAME)
//	    create a PostgreSQL schema and print a DSN selecting it (search_path),
//	    or drop one with everything in it
//	benchctl s3-bucket    -endpoint URL -access-key K -secret-key S -bucket B
//	    create a bucket on an S3-compatible server (path-style)
//
// Common flags: -endpoint (default $ARCA_ENDPOINT), -region, -access-key,
// -secret-key (default $ARCA_ROOT_ACCESS_KEY_ID / $ARCA_ROOT_SECRET_ACCESS_KEY,
// else the benchkit defaults), -domain, -repository, -namespace, -package,
// and -timeout (default 10m; publish-load adds -d to it): a server that stops
// answering fails the command instead of hanging the benchmark.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "setup":
		err = setup(ctx, args)
	case "publish":
		err = publish(ctx, args)
	case "presign":
		err = presign(ctx, args)
	case "publish-load":
		err = publishLoad(ctx, args)
	case "npm-token":
		err = npmToken(ctx, args)
	case "npm-user":
		err = npmUser(ctx, args)
	case "npm-seed":
		err = npmSeed(ctx, args)
	case "pypi-token":
		err = pypiToken(ctx, args)
	case "pypi-seed":
		err = pypiSeed(ctx, args)
	case "maven-token":
		err = mavenToken(ctx, args)
	case "maven-seed":
		err = mavenSeed(ctx, args)
	case "groups":
		err = groups(ctx, args)
	case "ui-seed":
		err = uiSeed(ctx, args)
	case "freeport":
		err = freePort()
	case "procstat":
		err = procStat(args)
	case "cpusum":
		err = cpuSum(args)
	case "pg-schema":
		err = pgSchema(ctx, args)
	case "s3-bucket":
		err = s3Bucket(ctx, args)
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "benchctl: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "benchctl:", err)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: benchctl COMMAND [flags]

commands:
  setup          create the domain and repository
  publish        publish -file as one asset of a new version; prints MB/s
  presign        print a presigned GetPackageVersionAsset URL
  publish-load   publish a small file as new versions with -c workers for -d
  npm-token      print an authorization token for the domain
  npm-user       add a user to Verdaccio and print its token
  npm-seed       publish versions of an npm package as npm publish does
  pypi-token     print a token and the repository's PyPI endpoint
  pypi-seed      upload versions of a PyPI project as twine does
  maven-token    print a token and the repository's Maven endpoint
  maven-seed     publish Maven artifacts as mvn deploy does, and lay them out on disk
  groups         create -n package groups in the domain
  ui-seed        publish -n npm packages (one version each) for bench/ui.sh
  freeport       print a free TCP port on 127.0.0.1
  procstat       print VmHWM, VmRSS (KiB) and CPU seconds used by -pid
  cpusum         print the CPU seconds used by all processes named -comm
  pg-schema      create (printing its DSN) or drop a PostgreSQL schema
  s3-bucket      create a bucket on an S3-compatible server

Run "benchctl COMMAND -h" for a command's flags.
`)
}

// common registers the flags every arca-facing command takes.
func common(fs *flag.FlagSet) *benchkit.Target {
	t := benchkit.Default(os.Getenv("ARCA_ENDPOINT"))
	if v := os.Getenv("ARCA_ROOT_ACCESS_KEY_ID"); v != "" {
		t.AccessKey = v
	}
	if v := os.Getenv("ARCA_ROOT_SECRET_ACCESS_KEY"); v != "" {
		t.SecretKey = v
	}
	fs.StringVar(&t.Endpoint, "endpoint", t.Endpoint, "arca base URL, http://127.0.0.1:PORT (env ARCA_ENDPOINT)")
	fs.StringVar(&t.Region, "region", t.Region, "region arca answers for")
	fs.StringVar(&t.AccessKey, "access-key", t.AccessKey, "access key id (env ARCA_ROOT_ACCESS_KEY_ID)")
	fs.StringVar(&t.SecretKey, "secret-key", t.SecretKey, "secret access key (env ARCA_ROOT_SECRET_ACCESS_KEY)")
	fs.StringVar(&t.Domain, "domain", t.Domain, "domain name")
	fs.StringVar(&t.Repository, "repository", t.Repository, "repository name")
	fs.StringVar(&t.Namespace, "namespace", t.Namespace, "generic package namespace")
	fs.StringVar(&t.Package, "package", t.Package, "generic package name")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "give up after this long")
	return &t
}

// timeout is the -timeout of the running command.
var timeout time.Duration

func parse(fs *flag.FlagSet, args []string, t *benchkit.Target) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if t != nil && t.Endpoint == "" {
		return fmt.Errorf("-endpoint (or ARCA_ENDPOINT) is required")
	}
	return nil
}

func setup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	t := common(fs)
	if err := parse(fs, args, t); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return t.Setup(ctx, t.Client(1))
}

func publish(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	t := common(fs)
	file := fs.String("file", "", "file to publish (required)")
	version := fs.String("version", "1.0.0", "package version to create")
	asset := fs.String("asset", "", "asset name (default: the file's base name)")
	sum := fs.String("sha256", "", "the file's SHA-256, hex (default: computed before the timed publish)")
	if err := parse(fs, args, t); err != nil {
		return err
	}
	if *file == "" {
		return fmt.Errorf("-file is required")
	}
	if *asset == "" {
		*asset = baseName(*file)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := t.Client(1)
	if err := t.Setup(ctx, c); err != nil {
		return err
	}
	sha := *sum
	if sha == "" {
		var err error
		if sha, _, err = benchkit.SHA256File(*file); err != nil {
			return err
		}
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := t.Publish(ctx, c, *version, *asset, f, sha); err != nil {
		return fmt.Errorf("publish %s: %w", *file, err)
	}
	d := time.Since(start)
	fmt.Printf("bytes=%d seconds=%.3f mbps=%.1f\n", fi.Size(), d.Seconds(), benchkit.MBps(fi.Size(), d))
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func presign(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("presign", flag.ContinueOnError)
	t := common(fs)
	version := fs.String("version", "1.0.0", "package version")
	asset := fs.String("asset", "", "asset name (required)")
	expires := fs.Duration("expires", time.Hour, "how long the URL stays valid")
	if err := parse(fs, args, t); err != nil {
		return err
	}
	if *asset == "" {
		return fmt.Errorf("-asset is required")
	}
	u, err := t.PresignAsset(ctx, *version, *asset, *expires)
	if err != nil {
		return err
	}
	fmt.Println(u)
	return nil
}

func publishLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("publish-load", flag.ContinueOnError)
	t := common(fs)
	file := fs.String("file", "", "small file to publish repeatedly (required)")
	conc := fs.Int("c", 8, "concurrent workers")
	dur := fs.Duration("d", 10*time.Second, "how long to publish")
	vary := fs.Bool("vary", true, "write each publish's version name over the first 32 bytes, so each publish stores a new blob, also across runs and concurrent publish-load processes (false: identical bytes, deduplicated)")
	prefix := fs.String("version-prefix", "", "prefix of the versions created (default: random per run)")
	asset := fs.String("asset", "", "asset name (default: the file's base name)")
	if err := parse(fs, args, t); err != nil {
		return err
	}
	if *file == "" || *conc < 1 {
		return fmt.Errorf("-file is required and -c must be at least 1")
	}
	if *asset == "" {
		*asset = baseName(*file)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	if *prefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		*prefix = fmt.Sprintf("load-%x", b)
	}
	ctx, cancel := context.WithTimeout(ctx, *dur+timeout)
	defer cancel()
	c := t.Client(*conc)
	if err := t.Setup(ctx, c); err != nil {
		return err
	}
	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		lat        []time.Duration
		firstErr   atomic.Value
		wg         sync.WaitGroup
	)
	deadline := time.Now().Add(*dur)
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			body := bytes.Clone(data)
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				v := fmt.Sprintf("%s.%d.%d", *prefix, w, i)
				if *vary && len(body) >= 32 {
					copy(body, fmt.Sprintf("%-32s", v))
				}
				sha := benchkit.SHA256Hex(body)
				t0 := time.Now()
				_, err := t.Publish(ctx, c, v, *asset, bytes.NewReader(body), sha)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				mine = append(mine, time.Since(t0))
				ok.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("publishes=%d errors=%d seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		ok.Load(), failed.Load(), elapsed.Seconds(), float64(ok.Load())/elapsed.Seconds(), ms(pct(lat, 50)), ms(pct(lat, 99)))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "benchctl: first publish error:", e)
	}
	if ok.Load() == 0 {
		return fmt.Errorf("no publish succeeded")
	}
	return nil
}

func pct(s []time.Duration, p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func freePort() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

func procStat(args []string) error {
	fs := flag.NewFlagSet("procstat", flag.ContinueOnError)
	pid := fs.Int("pid", 0, "process id (required)")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *pid <= 0 {
		return fmt.Errorf("-pid is required")
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return err
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && (k == "VmHWM" || k == "VmRSS") {
			vals[k] = strings.TrimSuffix(strings.TrimSpace(v), " kB")
		}
	}
	if vals["VmHWM"] == "" {
		return fmt.Errorf("no VmHWM in /proc/%d/status", *pid)
	}
	cpu, err := benchkit.ProcCPU(*pid)
	if err != nil {
		return err
	}
	fmt.Printf("vmhwm_kib=%s vmrss_kib=%s cpu_s=%.2f\n", vals["VmHWM"], vals["VmRSS"], cpu)
	return nil
}

func cpuSum(args []string) error {
	fs := flag.NewFlagSet("cpusum", flag.ContinueOnError)
	comm := fs.String("comm", "", "process name as in /proc/PID/comm (required)")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *comm == "" {
		return fmt.Errorf("-comm is required")
	}
	cpu, n, err := benchkit.CommCPU(*comm)
	if err != nil {
		return err
	}
	fmt.Printf("cpu_s=%.2f procs=%d\n", cpu, n)
	return nil
}

func pgSchema(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pg-schema", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "postgres:// URL of the database (required)")
	create := fs.String("create", "", "schema to create; its DSN is printed")
	drop := fs.String("drop", "", "schema to drop, with everything in it")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *dsn == "" || (*create == "") == (*drop == "") {
		return fmt.Errorf("-dsn and exactly one of -create and -drop are required")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if *drop != "" {
		return benchkit.DropSchema(ctx, *dsn, *drop)
	}
	u, err := benchkit.CreateSchema(ctx, *dsn, *create)
	if err != nil {
		return err
	}
	fmt.Println(u)
	return nil
}

func s3Bucket(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("s3-bucket", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "S3 server, http://127.0.0.1:PORT (required)")
	region := fs.String("region", benchkit.DefaultRegion, "region")
	ak := fs.String("access-key", "", "access key id (required)")
	sk := fs.String("secret-key", "", "secret access key (required)")
	bucket := fs.String("bucket", "", "bucket to create (required)")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *endpoint == "" || *ak == "" || *sk == "" || *bucket == "" {
		return fmt.Errorf("-endpoint, -access-key, -secret-key and -bucket are required")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return benchkit.CreateBucket(ctx, *endpoint, *region, *ak, *sk, *bucket)
}
