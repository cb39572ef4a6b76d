// The local S3-compatible server: s3rver on one address, one bucket, one key pair (devkit/s3_server.py runs it).
// Usage: node serve.js <directory> <address> <port> <bucket> <access key id> <secret access key>
'use strict'
const S3rver = require('@20minutes/s3rver')
const { DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account')

const [directory, address, port, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2)
// Browsers PUT straight to the bucket (make dev's front ends): the same rule a real bucket needs.
const cors = `<CORSConfiguration><CORSRule>
  <AllowedOrigin>*</AllowedOrigin>
  <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>
</CORSRule></CORSConfiguration>`

DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey)
DUMMY_ACCOUNT.revokeAccessKey('S3RVER') // only the configured key signs
new S3rver({
  directory,
  address,
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket, configs: [Buffer.from(cors)] }],
})
  .run()
  .then(({ address: host, port: bound }) => console.log(`s3rver listening on ${host}:${bound}`))
  .catch((error) => {
    console.error(error)
    process.exit(1)
  })
