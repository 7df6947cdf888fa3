import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parserFor } from '@ferry/contracts';
import { Catalog } from './catalog.js';
import { CatalogFileSchema } from './catalog.schema.js';

const parseCatalogFile = parserFor(CatalogFileSchema, 'pipeline catalog');

/** Reads and validates a catalog file; any fault stops start-up with a message naming the file. */
export async function loadCatalog(path: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`pipeline catalog ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return parseCatalog(text, path);
}

export function parseCatalog(text: string, source = 'catalog'): Catalog {
  try {
    return new Catalog(parseCatalogFile(parseYaml(text)).pipelines);
  } catch (error) {
    throw new Error(`pipeline catalog ${source}: ${(error as Error).message}`, { cause: error });
  }
}
