"""What each Connect operation does over the demo world: one handler per operation,
searches and their criteria, paging, lookups, contact trees, Contact Lens' segments. It may
import the world, never the protocol."""
