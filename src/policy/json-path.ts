/** JSON-path strings for validation errors: `Statement[2].Condition.IpAddress.aws:SourceIp[0]`. @module */

export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`
}
