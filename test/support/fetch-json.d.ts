// Tests read JSON bodies whose shape each assertion states; typing every one would only restate the
// assertions. Test-only: this file is not part of any package build.
interface Response {
  json(): Promise<any>;
}
