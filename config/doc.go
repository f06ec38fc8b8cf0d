// Package config loads adjc's settings from flags, the environment (ADJC_*),
// a YAML file and defaults, in that order of precedence, and remembers where
// each value came from. Secrets are [secret.Secret] values that never print.
package config
