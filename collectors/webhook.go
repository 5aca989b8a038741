package collectors

import "errors"

// KindWebhook is the source kind for inbound webhook: other tools POST mentions.
const KindWebhook = "webhook"

// WebhookConfig holds the settings of a webhook source (the "webhook:" section).
type WebhookConfig struct{}

func (c *WebhookConfig) validate(path string) []error { return nil }

// NewWebhook builds a webhook collector.
func NewWebhook(cfg SourceConfig, brand Brand, f *Fetcher) (Collector, error) {
	return nil, errors.New("webhook: not built yet")
}
