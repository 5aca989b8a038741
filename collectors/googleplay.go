package collectors

import "errors"

// KindGooglePlay is the source kind for Google Play reviews of the brand's own app through the official developer API.
const KindGooglePlay = "googleplay"

// GooglePlayConfig holds the settings of a googleplay source (the "googleplay:" section).
type GooglePlayConfig struct{}

func (c *GooglePlayConfig) validate(path string) []error { return nil }

// NewGooglePlay builds a googleplay collector.
func NewGooglePlay(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("googleplay: not built yet")
}
