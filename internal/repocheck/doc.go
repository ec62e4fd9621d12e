// Package repocheck holds repository-level checks run by make test: the
// README's Quick start builds and runs in a fresh module, the examples the
// README names exist, and no tracked file cites a document that lives outside
// the repository. It has no API; the checks are its tests.
package repocheck
