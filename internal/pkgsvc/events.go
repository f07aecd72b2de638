package pkgsvc

// Events is told what the service did, for metrics. Its arguments are
// bounded: format names and fixed words, never package names.
type Events interface {
	// Published: one asset of format was stored by a publish (size bytes).
	Published(format string, size int64)
	// AssetServed: a package manager's download of format was served from
	// source: "local" (the repository holds it), "upstream" (retained from
	// an upstream repository for this request) or "external" (fetched
	// through an external connection).
	AssetServed(format, source string)
}

type noEvents struct{}

func (noEvents) Published(string, int64)    {}
func (noEvents) AssetServed(string, string) {}

// SetEvents makes e the receiver of the service's events (nil: none).
// Call it before the service serves requests.
func (s *Service) SetEvents(e Events) {
	if e == nil {
		e = noEvents{}
	}
	s.events = e
}
