package collectors

import "errors"

// KindAppStore is the source kind for App Store reviews: per-country feed; optional App Store Connect responses.
const KindAppStore = "appstore"

// AppStoreConfig holds the settings of a appstore source (the "appstore:" section).
type AppStoreConfig struct{}

func (c *AppStoreConfig) validate(path string) []error { return nil }

// NewAppStore builds a appstore collector.
func NewAppStore(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("appstore: not built yet")
}
