// Starts the console's wasm (its glue's default export fetches and instantiates it).
import init from './CONSOLE_GLUE';

init();
