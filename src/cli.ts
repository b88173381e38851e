// The entry point of the `mailscope` command. It limits V8's young generation before it
// loads the rest of the program, because parsing the modules alone would grow the young
// generation to its maximum (see heap.ts). A static import would be parsed before this runs.
import { holdYoungGenerationGrowth } from './heap.js';

holdYoungGenerationGrowth();
await import('./cli-main.js');
