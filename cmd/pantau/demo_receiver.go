package main

import (
	"io"
	"net/http"
	"sync/atomic"
)

// demoReceiver stands in for the team's chat and the lead's pager in the
// demo: it takes Pantau's signed webhook posts on any path and counts
// them, so the demo shows routes, grouping and escalation end to end
// without a real Slack or PagerDuty.
type demoReceiver struct {
	received atomic.Int64
}

func (d *demoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	d.received.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

// demoWebhookSecret signs the demo's webhook posts; it guards nothing.
const demoWebhookSecret = "pantau-demo-webhook-signing-key"
