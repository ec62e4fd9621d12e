package model

// Lowest is the lowest ID a history holds when next is the ID the next event
// will take, capacity the events it keeps and floor the lowest ID it held at
// its last resize (0 before any): max(floor, next-capacity). A resize never
// brings back events displaced before it, so floor only rises. Every model
// of a history (Ring, and through it the system's) derives its window here.
func Lowest(floor, next, capacity uint64) uint64 {
	if next > capacity {
		return max(floor, next-capacity)
	}
	return floor
}
