package collectors

import "errors"

// KindDiscourse is the source kind for Discourse forums: search.json and topic threads.
const KindDiscourse = "discourse"

// DiscourseConfig holds the settings of a discourse source (the "discourse:" section).
type DiscourseConfig struct{}

func (c *DiscourseConfig) validate(path string) []error { return nil }

// NewDiscourse builds a discourse collector.
func NewDiscourse(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("discourse: not built yet")
}
