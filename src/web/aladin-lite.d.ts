// aladin-lite ships no types; only what the sky view uses.
declare module 'aladin-lite' {
  export interface AladinInstance {
    getRaDec(): [number, number]
    gotoRaDec(ra: number, dec: number): void
    addCatalog(catalog: unknown): void
    toggleFullscreen(realFullscreen?: boolean): void
  }
  interface AladinCatalog {
    addSources(sources: unknown[]): void
  }
  interface AladinStatic {
    init: Promise<void>
    aladin(element: HTMLElement | string, options: Record<string, unknown>): AladinInstance
    catalog(options: Record<string, unknown>): AladinCatalog
    imageHiPS(idOrUrl: string, options: Record<string, unknown>): unknown
    source(ra: number, dec: number, data?: Record<string, unknown>): unknown
    catalogFromSimbad(target: { ra: number, dec: number } | string, radiusDeg: number, options: Record<string, unknown>,
      onSuccess?: (catalog: AladinCatalog) => void, onError?: (err: unknown) => void): AladinCatalog
  }
  const A: AladinStatic
  export default A
}
