package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// resolvedMarker is how a resolved alert's state reads in its stored JSON.
// Text fields are JSON strings, whose quotes are escaped, so no summary
// or reason can contain it unescaped.
var resolvedMarker = []byte(`"state":"resolved"`)

// UnresolvedAlerts returns every open and acknowledged alert, in one scan
// that skips resolved alerts without decoding them: the notification
// router reads this on every change, and resolved alerts pile up.
func (s *Store) UnresolvedAlerts() ([]Alert, error) {
	var out []Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			if bytes.Contains(v, resolvedMarker) {
				return nil
			}
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode alert %s: %w", k, err)
			}
			if a.State != AlertResolved {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}
