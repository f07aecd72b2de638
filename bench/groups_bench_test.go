package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// groupsTarget is a second domain of the shared server with 1,000 package
// groups, a chain of them down to the published generic package (see
// benchkit.GroupPatterns), so that BenchmarkPublish4KGroups1000 can be set
// beside BenchmarkPublish4K (domain without groups) and profiled:
//
//	go test ./bench/ -run XXX -bench 'Publish4K' -benchtime 5s
//	go test ./bench/ -run XXX -bench Publish4KGroups -cpuprofile cpu.out
//	go tool pprof -top -cum bench.test cpu.out | grep -i group
var (
	groupsOnce   sync.Once
	groupsTarget benchkit.Target
	groupsErr    error
)

func getGroupsTarget(b *testing.B) (*env, benchkit.Target) {
	b.Helper()
	e := getEnv(b)
	groupsOnce.Do(func() {
		t := e.target
		t.Domain = "benchg"
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if groupsErr = t.Setup(ctx, e.sdk); groupsErr != nil {
			return
		}
		for _, p := range benchkit.GroupPatterns(1000, "bench-pkg", t.Namespace, t.Package) {
			_, err := e.sdk.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String(t.Domain), PackageGroup: aws.String(p)})
			var exists *types.ConflictException
			if err != nil && !errors.As(err, &exists) {
				groupsErr = fmt.Errorf("create package group %s: %w", p, err)
				return
			}
		}
		out, err := e.sdk.GetAssociatedPackageGroup(ctx, &codeartifact.GetAssociatedPackageGroupInput{
			Domain: aws.String(t.Domain), Format: types.PackageFormatGeneric, Namespace: aws.String(t.Namespace), Package: aws.String(t.Package),
		})
		if err != nil {
			groupsErr = err
			return
		}
		if want := "/generic/" + t.Namespace + "/" + t.Package + "$"; aws.ToString(out.PackageGroup.Pattern) != want || out.AssociationType != types.PackageGroupAssociationTypeStrong {
			groupsErr = fmt.Errorf("the published package is in %s (%s), want %s STRONG", aws.ToString(out.PackageGroup.Pattern), out.AssociationType, want)
			return
		}
		groupsTarget = t
	})
	if groupsErr != nil {
		b.Fatal(groupsErr)
	}
	return e, groupsTarget
}

// BenchmarkPublish4KGroups1000 is BenchmarkPublish4K into a domain with
// 1,000 package groups: every publish passes the group check.
func BenchmarkPublish4KGroups1000(b *testing.B) {
	const size = 4 << 10
	e, t := getGroupsTarget(b)
	b.SetBytes(size)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		body := randomBytes(size, uint64(publishSeq.Add(1)))
		ctx := context.Background()
		for pb.Next() {
			n := publishSeq.Add(1)
			copy(body, fmt.Sprintf("%-16d", n))
			_, err := t.Publish(ctx, e.sdk, fmt.Sprintf("pub-%d", n), "asset.bin", bytes.NewReader(body), benchkit.SHA256Hex(body))
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
