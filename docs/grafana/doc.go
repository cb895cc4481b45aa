// Package grafana holds cachekit's Grafana dashboard, cachekit.json, over the metrics of package
// cachekitprom. It has no API: the package exists for its test, which checks that every panel's query
// names only metrics and labels cachekitprom exports. render/ draws the dashboard from a real
// Prometheus scrape (see README.md and render.sh).
package grafana
