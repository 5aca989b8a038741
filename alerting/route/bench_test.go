package route_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting"
	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/alerting/notify"
	"github.com/pantau/pantau/alerting/route"
	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// The latency an on-call lead cares about, through the router as the
// daemon runs it: real store file (with fsync), real clock, the router's
// Run following the store, the dispatcher, a local webhook receiver.
//
//	go test -run '^$' -bench Latency -benchtime 300x ./alerting/route/
//
// BenchmarkLatencyCriticalAlertToReceiver starts at the pipeline's commit
// of a critical alert; the route has the default group wait (30 s), which
// critical alerts skip by default (critical_group_wait: 0).
func BenchmarkLatencyCriticalAlertToReceiver(b *testing.B) {
	benchRouted(b, nil, func(st *store.Store, _ *alerting.Pipeline, i int) error {
		now := time.Now()
		_, err := st.PutAlert(store.Alert{ID: fmt.Sprintf("viral|bench:%d", i), Rule: "viral", MentionKey: fmt.Sprintf("bench:%d", i),
			Source: "masto", Brand: "kilat", State: store.AlertOpen, Summary: "bench", Priority: 0.9, OpenedAt: now, UpdatedAt: now})
		return err
	})
}

// BenchmarkLatencyIngestToReceiver starts earlier: a mention handed to
// the pipeline (scored, stored, crossing an expression rule), then the
// router and the dispatcher. The scorer does not rate these posts
// critical, so the route's group wait is set to 0 here; with the default
// 30 s it would be part of the latency of a non-critical alert, by
// design.
func BenchmarkLatencyIngestToReceiver(b *testing.B) {
	zero := time.Duration(0)
	benchRouted(b, &zero, func(_ *store.Store, p *alerting.Pipeline, i int) error {
		_, err := p.Ingest(context.Background(), store.Batch{Source: "masto", Kind: "mastodon", Mentions: []store.Mention{{
			NativeID: fmt.Sprint(i), Brand: "kilat", Author: store.Author{Handle: fmt.Sprintf("user%d", i)},
			Text: fmt.Sprintf("paket %d blm nyampe, kecewa bgt min", i), CreatedAt: time.Now(),
		}}})
		return err
	})
}

func benchRouted(b *testing.B, groupWait *time.Duration, raise func(*store.Store, *alerting.Pipeline, int) error) {
	got := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		got <- struct{}{}
	}))
	defer srv.Close()
	st, err := store.Open(filepath.Join(b.TempDir(), "pantau.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rs, err := notify.Build([]notify.ReceiverConfig{{Name: "hook", Kind: notify.KindWebhook,
		Webhook: &notify.WebhookConfig{URL: secret.New(srv.URL + "/h"), Secret: secret.New("0123456789abcdef")}}}, notify.Deps{})
	if err != nil {
		b.Fatal(err)
	}
	d := notify.NewDispatcher(st, notify.Notifiers(rs), nil, nil,
		notify.DispatcherOptions{Renderer: &notify.Renderer{Mask: audit.MaskAll}, Mention: st.Mention})
	// Each alert is its own group here: later alerts of one group wait
	// for the group interval by design (a burst is one message).
	cfg := route.Config{Routes: []route.RouteConfig{{Name: "all", GroupBy: []string{"alert"}, GroupWait: groupWait,
		Levels: []route.LevelConfig{{Receivers: []string{"hook"}}}}}}
	eng, err := route.New(cfg, route.Options{Store: st, Outbox: d, Filters: notify.Routes(rs)})
	if err != nil {
		b.Fatal(err)
	}
	rule := alerting.RuleConfig{Name: "kecewa", Expr: `complaint >= 0.5 && keyword(text, "kecewa")`}
	pipe := alerting.NewPipeline(st, alerting.NewTextScorer(), []alerting.RuleConfig{rule}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	if err := eng.Tick(ctx); err != nil { // the router's first start
		b.Fatal(err)
	}
	go eng.Run(ctx, time.Minute)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := raise(st, pipe, i); err != nil {
			b.Fatal(err)
		}
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			b.Fatal("the receiver got nothing in 10 s")
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
