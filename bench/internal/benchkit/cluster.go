package benchkit

// Helpers for bench/cluster.sh, which runs arca on PostgreSQL and an
// S3-compatible server: a throwaway PostgreSQL schema, a bucket, and the CPU
// time of a multi-process server (PostgreSQL forks a backend per connection).

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
)

// schemaRE is what CreateSchema and DropSchema accept: the name is spliced
// into SQL, so it must be a plain lowercase identifier.
var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateSchema creates schema in the database dsn names and returns a DSN
// whose search_path selects it (what ARCA_DATABASE_URL takes).
func CreateSchema(ctx context.Context, dsn, schema string) (string, error) {
	if !schemaRE.MatchString(schema) {
		return "", fmt.Errorf("schema name %q: want [a-z_][a-z0-9_]*", schema)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%q is not a postgres:// URL", dsn)
	}
	if err := pgExec(ctx, dsn, `CREATE SCHEMA `+schema); err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropSchema drops schema and everything in it; a missing schema is no error.
func DropSchema(ctx context.Context, dsn, schema string) error {
	if !schemaRE.MatchString(schema) {
		return fmt.Errorf("schema name %q: want [a-z_][a-z0-9_]*", schema)
	}
	return pgExec(ctx, dsn, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
}

func pgExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// CreateBucket creates bucket on the S3-compatible server at endpoint
// (path-style addressing, static credentials).
func CreateBucket(ctx context.Context, endpoint, region, accessKey, secretKey, bucket string) error {
	c := awss3.New(awss3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
	_, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	return nil
}

// CommCPU returns the CPU seconds used so far by every process whose
// /proc/PID/comm is comm, and how many there are: user+system time of each,
// plus the time of their children that have exited and been reaped (so a
// PostgreSQL backend that ended is still counted, in its postmaster's
// cutime/cstime). Processes of other users count too: /proc/PID/stat is
// world-readable.
func CommCPU(comm string) (seconds float64, procs int, err error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, 0, err
	}
	for _, d := range dirs {
		c, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue // gone, or another program
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		f, ok := statFields(stat)
		if !ok {
			continue
		}
		// utime, stime, cutime, cstime: fields 14-17 of /proc/PID/stat.
		for _, s := range f[11:15] {
			v, _ := strconv.ParseFloat(s, 64)
			seconds += v / ClockTicks
		}
		procs++
	}
	return seconds, procs, nil
}

// ProcCPU returns the user+system CPU seconds used so far by process pid
// (its own threads, not its children).
func ProcCPU(pid int) (float64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f, ok := statFields(stat)
	if !ok {
		return 0, fmt.Errorf("cannot parse /proc/%d/stat", pid)
	}
	var cpu float64
	for _, s := range f[11:13] {
		v, _ := strconv.ParseFloat(s, 64)
		cpu += v / ClockTicks
	}
	return cpu, nil
}

// statFields returns the fields of a /proc/PID/stat line after the
// parenthesised command name (which may contain spaces): f[0] is field 3,
// the state.
func statFields(stat []byte) ([]string, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(stat[i+1:]))
	return f, len(f) > 14
}

// ClockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const ClockTicks = 100
