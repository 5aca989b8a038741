package notify

import (
	"context"
	"encoding/json"

	"github.com/pantau/pantau/store/secret"
)

// incomingWebhook is what Slack, Discord and Teams share: a secret
// incoming-webhook URL that takes one JSON message. Each notifier only
// renders its own payload.
type incomingWebhook struct {
	shown
	url secret.Secret
	p   *poster
}

// newIncomingWebhook resolves and checks the section's url / url_file,
// adding what is wrong to errs; it returns nil when anything is.
func newIncomingWebhook(kind string, url secret.Secret, urlFile, path string, d Deps, errs *[]error) *incomingWebhook {
	n := len(*errs)
	u := resolveSecret(url, urlFile, path, "url", true, errs)
	if u.IsSet() {
		checkURL(u.Reveal(), path+".url", true, errs)
	}
	if len(*errs) > n {
		return nil
	}
	red := &redactor{}
	red.addURL(u.Reveal())
	shownAs := shownURL(u.Reveal(), true)
	return &incomingWebhook{shown: describe(kind, shownAs), url: u, p: newPoster(kind, d, red, shownAs)}
}

// postJSON sends payload as the message.
func (w *incomingWebhook) postJSON(ctx context.Context, payload any) (bool, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return false, err
	}
	return w.p.post(ctx, w.url.Reveal(), jsonHeader(), body)
}
