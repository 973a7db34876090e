"""The local head-extraction pipeline: decode, detect faces, box each head, matte it, write PNGs.

Models (see ../models.json): BlazeFace full-range (TFLite, run by cv2.dnn) finds faces; MODNet
(ONNX, run by onnxruntime) computes a portrait matte on a crop around each face; the head box is
the face box grown to the matte's extent above the chin. Nothing is downloaded: the model files
are passed in by path.

One `Pipeline` object is shared by all worker threads: the ONNX session is thread-safe, and each
thread gets its own cv2.dnn network (cv2.dnn.Net is not).
"""

import os
import threading
import time

import cv2
import numpy as np
import onnxruntime as ort

# Bump "pipeline" in ../models.json when anything below changes what is produced: it is part of
# engine.sha256, so the host's cache namespace changes with it.

DETECTOR_SIZE = 192          # full-range BlazeFace input
DETECTOR_STRIDE = 4          # one 48x48 anchor grid, one anchor per cell: 2304 anchors
MIN_SCORE = 0.5              # MediaPipe's threshold for this model
NMS_IOU = 0.3                # MediaPipe's weighted non-maximum suppression
TILE_MIN_SIDE = 800          # below this, a second look in tiles would not help
MATTE_SIDE = 256             # MODNet input, longest side (multiple of 32); see README for why


class PipelineError(Exception):
    """An answer for the host: code and class as in PROTOCOL.md."""

    def __init__(self, code, klass, message):
        super().__init__(message)
        self.code = code
        self.klass = klass
        self.message = message


class Cancelled(Exception):
    pass


def no_face():
    return PipelineError("ERROR_NO_FACE_IN_FILE", "content", "No face was found in the photo.")


def _anchors():
    g = DETECTOR_SIZE // DETECTOR_STRIDE
    xs, ys = np.meshgrid((np.arange(g) + 0.5) / g, (np.arange(g) + 0.5) / g)
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)


def _iou(a, b):
    """IoU of one box a (4,) against boxes b (n, 4), boxes as x0, y0, x1, y1."""
    ix0 = np.maximum(a[0], b[:, 0])
    iy0 = np.maximum(a[1], b[:, 1])
    ix1 = np.minimum(a[2], b[:, 2])
    iy1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = lambda r: (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


class Face:
    __slots__ = ("score", "box", "keypoints")

    def __init__(self, score, box, keypoints):
        self.score = score          # 0..1
        self.box = box              # x0, y0, x1, y1 in image pixels (float)
        self.keypoints = keypoints  # (6, 2): right eye, left eye, nose, mouth, right ear, left ear


class Head:
    __slots__ = ("x", "y", "width", "height", "alpha", "face")

    def __init__(self, x, y, width, height, alpha, face):
        self.x, self.y, self.width, self.height = x, y, width, height
        self.alpha = alpha          # uint8 (height, width)
        self.face = face


class Pipeline:
    def __init__(self, detector_path, matte_path, intra_op_threads=1):
        self.detector_path = detector_path
        self._local = threading.local()
        self._anchors = _anchors()
        cv2.setNumThreads(intra_op_threads)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = intra_op_threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        self._matte = ort.InferenceSession(matte_path, opts, providers=["CPUExecutionProvider"])
        self._matte_input = self._matte.get_inputs()[0].name
        self._detector()  # load it once now, so a broken file fails at init

    def warm_up(self):
        """One run on a synthetic image, so the first real request is not the slow one."""
        img = np.full((320, 256, 3), 128, np.uint8)
        self._detect(img)
        self._matte_crop(img)

    def _detector(self):
        net = getattr(self._local, "net", None)
        if net is None:
            net = cv2.dnn.readNetFromTFLite(self.detector_path)
            self._local.net = net
            self._local.outs = net.getUnconnectedOutLayersNames()
        return net

    # -- decoding -----------------------------------------------------------------------------

    @staticmethod
    def decode(path):
        # IGNORE_ORIENTATION: boxes are in the pixels as stored in the file, which is what the
        # host's width/height are (PROTOCOL.md), so an EXIF rotation must not be applied.
        img = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if img is None or img.size == 0:
            raise PipelineError("FILE_DECODING_FAILURE", "content", "The photo could not be decoded.")
        return img

    # -- detection ----------------------------------------------------------------------------

    def _detect(self, img):
        """Faces in img: the whole image at 192x192 first; if that finds none in a large image,
        a 2x2 grid of overlapping tiles, so faces under about 10% of the image's side are found."""
        faces = self._detect_at(img, 0, 0)
        h, w = img.shape[:2]
        if faces or max(h, w) < TILE_MIN_SIDE:
            return faces
        th, tw = int(h * 0.6), int(w * 0.6)
        found = []
        for y in (0, h - th):
            for x in (0, w - tw):
                found += self._detect_at(img[y:y + th, x:x + tw], x, y)
        if not found:
            return []
        return self._weighted_nms(np.array([f.score for f in found]), np.array([f.box for f in found]),
                                  np.array([f.keypoints for f in found]))

    def _detect_at(self, img, x_off, y_off):
        h, w = img.shape[:2]
        side = max(h, w)
        scale = DETECTOR_SIZE / side
        # Letterbox to a square (as MediaPipe does), resizing before padding to touch fewer pixels.
        rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
        small = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((DETECTOR_SIZE, DETECTOR_SIZE, 3), np.uint8)
        ox, oy = (DETECTOR_SIZE - rw) // 2, (DETECTOR_SIZE - rh) // 2
        canvas[oy:oy + rh, ox:ox + rw] = small
        blob = cv2.dnn.blobFromImage(canvas, 1 / 127.5, (DETECTOR_SIZE, DETECTOR_SIZE),
                                     (127.5, 127.5, 127.5), swapRB=True)
        net = self._detector()
        net.setInput(blob)
        scores, boxes = net.forward(self._local.outs)
        scores = scores.reshape(-1)
        boxes = boxes.reshape(-1, 16)
        keep = scores > np.log(MIN_SCORE / (1 - MIN_SCORE))  # sigmoid(s) > MIN_SCORE
        if not keep.any():
            return []
        s = 1 / (1 + np.exp(-scores[keep].astype(np.float64)))
        raw = boxes[keep].reshape(-1, 8, 2) / DETECTOR_SIZE
        anchors = self._anchors[keep]
        centre = raw[:, 0] + anchors
        size = raw[:, 1]
        kps = raw[:, 2:] + anchors[:, None, :]
        rect = np.concatenate([centre - size / 2, centre + size / 2], 1)
        # Back to image pixels: undo the letterbox offset, then the scale.
        off = np.array([ox, oy], np.float32) / DETECTOR_SIZE
        rect = (rect - np.tile(off, 2)) * (DETECTOR_SIZE / scale) + [x_off, y_off, x_off, y_off]
        kps = (kps - off) * (DETECTOR_SIZE / scale) + [x_off, y_off]
        return self._weighted_nms(s, rect, kps)

    @staticmethod
    def _weighted_nms(scores, rects, kps):
        order = np.argsort(-scores)
        scores, rects, kps = scores[order], rects[order], kps[order]
        faces = []
        alive = np.ones(len(scores), bool)
        for i in range(len(scores)):
            if not alive[i]:
                continue
            overlap = _iou(rects[i], rects) > NMS_IOU
            group = alive & overlap
            group[i] = True
            wts = scores[group][:, None]
            rect = (rects[group] * wts).sum(0) / wts.sum()
            kp = (kps[group] * wts[:, :, None]).sum(0) / wts.sum()
            faces.append(Face(float(scores[i]), rect.astype(np.float64), kp.astype(np.float64)))
            alive &= ~group
        return faces

    # -- matting ------------------------------------------------------------------------------

    def _matte_crop(self, crop):
        """MODNet alpha in [0, 1] (float32), the size of crop."""
        h, w = crop.shape[:2]
        s = MATTE_SIDE / max(h, w)
        rw = max(32, int(round(w * s / 32)) * 32)
        rh = max(32, int(round(h * s / 32)) * 32)
        small = cv2.resize(crop, (rw, rh), interpolation=cv2.INTER_AREA)
        blob = cv2.dnn.blobFromImage(small, 1 / 127.5, (rw, rh), (127.5, 127.5, 127.5), swapRB=True)
        out = self._matte.run(None, {self._matte_input: blob})[0][0, 0]
        return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)

    # -- the head -----------------------------------------------------------------------------

    def _head(self, img, face):
        H, W = img.shape[:2]
        fx0, fy0, fx1, fy1 = face.box
        fw, fh = fx1 - fx0, fy1 - fy0
        fcx = (fx0 + fx1) / 2
        eye_y = (face.keypoints[0, 1] + face.keypoints[1, 1]) / 2
        mouth_y = face.keypoints[3, 1]
        # Sanity for odd detections: the eyes inside the upper box, the mouth below them.
        eye_y = float(np.clip(eye_y, fy0, fy0 + 0.7 * fh))
        mouth_y = float(np.clip(mouth_y, eye_y + 0.1 * fh, fy1))
        chin = min(H, fy1 + 0.05 * fh)

        # The crop the matte is computed on: room for hair above and beside the face box.
        cx0 = int(max(0, np.floor(fx0 - 0.75 * fw)))
        cx1 = int(min(W, np.ceil(fx1 + 0.75 * fw)))
        cy0 = int(max(0, np.floor(fy0 - 1.0 * fh)))
        cy1 = int(min(H, np.ceil(chin)))
        if cx1 - cx0 < 2 or cy1 - cy0 < 2:
            return None
        crop = img[cy0:cy1, cx0:cx1]
        a = self._matte_crop(crop)
        on = a > 0.5

        # Top: go up from the eyes, through the central columns, while the matte holds.
        c0 = int(np.clip(fcx - 0.35 * fw - cx0, 0, crop.shape[1] - 1))
        c1 = int(np.clip(fcx + 0.35 * fw - cx0, c0 + 1, crop.shape[1]))
        rows_on = on[:, c0:c1].any(1)
        r = int(np.clip(eye_y - cy0, 0, crop.shape[0] - 1))
        if rows_on[r]:
            while r > 0 and rows_on[r - 1]:
                r -= 1
            top = cy0 + r
        else:
            top = fy0 - 0.5 * fh
        # Sides: the run of matte columns, between the top and the mouth, that holds the face's
        # centre (so a neighbour's hair or shoulder next to this head is not taken in).
        m = int(np.clip(mouth_y - cy0, int(top - cy0) + 1, crop.shape[0]))
        cols_on = on[max(0, int(top - cy0)):m].any(0)
        c = int(np.clip(fcx - cx0, 0, crop.shape[1] - 1))
        lo_lim = max(0, int(fcx - 0.9 * fw - cx0))
        hi_lim = min(crop.shape[1], int(np.ceil(fcx + 0.9 * fw - cx0)))
        if cols_on[c]:
            lo = hi = c
            while lo > lo_lim and cols_on[lo - 1]:
                lo -= 1
            while hi + 1 < hi_lim and cols_on[hi + 1]:
                hi += 1
            left, right = cx0 + lo, cx0 + hi + 1
        else:
            left, right = fcx - 0.65 * fw, fcx + 0.65 * fw
        pad = 0.02 * fw
        x0 = int(max(0, np.floor(left - pad)))
        x1 = int(min(W, np.ceil(right + pad)))
        y0 = int(max(0, np.floor(top - pad)))
        y1 = int(min(H, np.ceil(chin)))
        if x1 - x0 < 1 or y1 - y0 < 1:
            return None

        # Alpha: the matte, kept to the head. Below the eyes it narrows like a jaw (an ellipse
        # centred between the eyes), so shoulders, collars and a suit's ring in the box's lower
        # corners stay out. The box ends at the chin, so nothing below it is in.
        alpha = np.zeros((y1 - y0, x1 - x0), np.float32)
        sy0, sx0 = max(y0, cy0), max(x0, cx0)
        sy1, sx1 = min(y1, cy1), min(x1, cx1)
        alpha[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = a[sy0 - cy0:sy1 - cy0, sx0 - cx0:sx1 - cx0]
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
        ax = 0.55 * fw
        ay = max(1.0, (chin - eye_y) * 1.15)
        jaw = ((xs - fcx) / ax) ** 2 + ((ys - eye_y) / ay) ** 2 <= 1.0
        prior = np.where(ys < eye_y, 1.0, jaw).astype(np.float32)
        k = int(max(1, round(0.03 * fw))) * 2 + 1
        prior = cv2.GaussianBlur(prior, (k, k), 0)
        alpha = np.clip(alpha * prior * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Head(x0, y0, x1 - x0, y1 - y0, alpha, face)

    # -- the whole request ----------------------------------------------------------------------

    def heads(self, img, check=None):
        """Heads found in img, left to right. check() is called between stages and may raise."""
        faces = self._detect(img)
        if not faces:
            raise no_face()
        faces.sort(key=lambda f: ((f.box[0] + f.box[2]) / 2, f.box[1]))
        heads = []
        for face in faces:
            if check:
                check()
            head = self._head(img, face)
            if head is not None:
                heads.append(head)
        if not heads:
            raise no_face()
        heads.sort(key=lambda h: (h.x + h.width / 2, h.y))
        return heads

    @staticmethod
    def write(img, head, path, return_form):
        if return_form == "mask":
            out = head.alpha
        else:
            crop = img[head.y:head.y + head.height, head.x:head.x + head.width]
            out = np.dstack([crop, head.alpha])
            out[head.alpha == 0] = 0  # nothing of the background under full transparency
        if not cv2.imwrite(path, out, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise PipelineError("LOCAL_WRITE_FAILED", "internal", "Could not write " + os.path.basename(path))

    def extract(self, path, output_dir, return_form="", check=None):
        """The full request: returns elements as in PROTOCOL.md and timings in ms."""
        t0 = time.perf_counter()
        img = self.decode(path)
        t1 = time.perf_counter()
        if check:
            check()
        heads = self.heads(img, check)
        t2 = time.perf_counter()
        elements = []
        for i, head in enumerate(heads):
            if check:
                check()
            out = os.path.join(output_dir, "%d.png" % i)
            self.write(img, head, out, return_form)
            elements.append({"path": out, "width": head.width, "height": head.height,
                             "x": head.x, "y": head.y})
        t3 = time.perf_counter()
        timings = {"decode_ms": (t1 - t0) * 1000, "heads_ms": (t2 - t1) * 1000,
                   "write_ms": (t3 - t2) * 1000, "total_ms": (t3 - t0) * 1000}
        return elements, timings, img.shape[1], img.shape[0]
