package server

import (
	"log/slog"
	"time"

	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/format"
)

// externalClient is what a format offers external connections: its
// registry client (npm, pypi, ...).
type externalClient interface {
	External() external.Client
}

// externalSource builds the external registries' fetcher from the
// configured URLs and the clients the formats offer; obs (nil: none)
// learns what each lookup and download came to.
func externalSource(cfg config.Config, formats format.Formats, spool string, log *slog.Logger, obs external.Observer) (*external.Source, error) {
	clients := map[string]external.Client{}
	for name, h := range formats {
		if c, ok := h.(externalClient); ok {
			clients[name] = c.External()
		}
	}
	seconds := func(n int) time.Duration {
		if n == 0 {
			return time.Nanosecond // 0: revalidate every time
		}
		return time.Duration(n) * time.Second
	}
	return external.New(external.Options{
		URLs: cfg.ExternalURLs, Clients: clients,
		MetadataTTL: seconds(cfg.ExternalMetadataTTL), NegativeTTL: seconds(cfg.ExternalNegativeTTL),
		Timeout: time.Duration(cfg.ExternalTimeout) * time.Second, SpoolDir: spool,
		MaxAssetSize: cfg.MaxAssetSize, Log: log.With("component", "external"), Observer: obs,
	})
}
