// nestjs-cashlink: the one curated public entry. Export only what users may rely on.
export const CASHLINK_LIBRARY_NAME = 'nestjs-cashlink';
