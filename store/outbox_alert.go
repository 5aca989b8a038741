package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxAlertOutboxScan bounds the outbox keys one OutboxForAlert call reads.
// An alert's items are one key range, so this is only reached when many
// other alerts' ids extend this one's (rule|key and rule|key-longer share
// a prefix) or an alert has had thousands of notifications.
const maxAlertOutboxScan = 5000

// OutboxForAlert returns the outbox items (pending, delivered or given
// up) that carry alertID, in key order, without their payloads, and
// whether the scan stopped at its bound.
//
// It needs no index: every item id made for one alert starts with the
// alert id, then '|' (OutboxID: id|receiver|action) or '#' (the router's
// keyed sends: id#level.count|receiver|action), so the items are one key
// range of the outbox bucket. The range can also hold other alerts whose
// ids extend this one; those are skipped, and the keys read are bounded
// by maxAlertOutboxScan. Grouped notifications are not found here: they
// carry the group's message id ("group:..."), not the member's.
func (s *Store) OutboxForAlert(alertID string, limit int) ([]OutboxItem, bool, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []OutboxItem
	truncated := false
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(alertID)
		c := tx.Bucket(bucketOutbox).Cursor()
		scanned := 0
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if scanned++; scanned > maxAlertOutboxScan {
				truncated = true
				return nil
			}
			if len(k) == len(prefix) || (k[len(prefix)] != '|' && k[len(prefix)] != '#') {
				continue
			}
			var it OutboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode outbox item %q: %w", k, err)
			}
			if it.AlertID != alertID {
				continue // another alert whose id extends this one
			}
			if len(out) == limit {
				truncated = true
				return nil
			}
			it.Payload = nil
			out = append(out, it)
		}
		return nil
	})
	return out, truncated, err
}
