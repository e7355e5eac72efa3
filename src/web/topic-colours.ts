const PALETTE = ['#5ab0f0', '#f0a35a', '#7bd88f', '#e36f8f', '#b79cf2', '#e8d26a', '#5fd1c6', '#c98f6b']
const assigned = new Map<string, string>()

/** A stable colour per topic for the chart and the count cards. */
export function topicColour (topic: string): string {
  let colour = assigned.get(topic)
  if (colour === undefined) {
    colour = PALETTE[assigned.size % PALETTE.length] ?? '#999'
    assigned.set(topic, colour)
  }
  return colour
}
