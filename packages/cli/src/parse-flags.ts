/**
 * Flag parsing for the subcommands, on Node's util.parseArgs: `--name value` and `--name=value`,
 * strict (an unknown flag or a stray argument is an error naming it). Errors become
 * FactoError('invalid_argument'), which main() reports with exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FactoError } from '@facto/core';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<Options extends FlagOptions> = { args: string[]; options: Options; strict: true; allowPositionals: false };
export type ParsedFlags<Options extends FlagOptions> = ReturnType<typeof parseArgs<StrictConfig<Options>>>['values'];

export function parseFlags<const Options extends FlagOptions>(args: readonly string[], options: Options): ParsedFlags<Options> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new FactoError('invalid_argument', (error as Error).message.split('\n')[0]!);
  }
}
