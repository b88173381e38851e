export {
  NULL_SENDER,
  addressForLookup,
  cleanAddress,
  cleanDomain,
  isNullSender,
  sameAddress,
  splitAddress,
} from './address.js';
